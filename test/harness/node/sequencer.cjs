// The node project's order: the node's own checks and the images first, the end-to-end
// file last. It leaves the examples' registries, their workloads and the chart
// installed (it is the last thing the node does), and pods created after it waited
// past their deadlines when it ran first. The files between (pull-policy,
// workload-identity) install the chart and remove it again, so their order does
// not matter.
const Sequencer = require('@jest/test-sequencer').default;

class NodeSequencer extends Sequencer {
  sort(tests) {
    const last = (t) => (t.path.endsWith('end-to-end.test.ts') ? 1 : 0);
    return [...tests].sort((a, b) => last(a) - last(b) || a.path.localeCompare(b.path));
  }
}

module.exports = NodeSequencer;
