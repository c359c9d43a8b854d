package main

import (
	"io"
	"os"
	"path/filepath"
)

// install copies this executable into dir (the kubelet's
// --image-credential-provider-bin-dir) atomically: a kubelet exec'ing the
// provider meanwhile sees the old file or the new one, never half of one. It lets
// a node-installer container be the binary alone, with no shell or cp.
func install(dir string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	src, err := os.Open(self)
	if err != nil {
		return err
	}
	defer src.Close()
	tmp, err := os.CreateTemp(dir, ".berth-credential-provider-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, src); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o755); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), filepath.Join(dir, "berth-credential-provider"))
}
