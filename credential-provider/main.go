// berth-credential-provider is a kubelet image credential provider
// (credentialprovider.kubelet.k8s.io/v1, KEP-4412) for Berth registries. The
// kubelet hands it the pod's ServiceAccount token, minted for the registry's
// audience; the provider returns that token unchanged as the registry password,
// and asks the kubelet to cache it until shortly before the token expires.
// The registry verifies the token itself, so the provider holds no secret and
// makes no network call.
//
// Usage (kubelet CredentialProviderConfig, tokenAttributes.cacheType: Token):
//
//	berth-credential-provider [--username NAME] < CredentialProviderRequest
//	berth-credential-provider install DIR   # copy itself into the kubelet's provider bin dir
//
// Malformed input (empty, not JSON, another apiVersion or kind, no image, no
// token, a token that is not a JWT or has expired) exits 1 with the reason on
// stderr and nothing on stdout.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"time"
)

// maxRequestBytes bounds stdin: a request is an image name and one token.
const maxRequestBytes = 1 << 20

func main() {
	username := flag.String("username", "serviceaccount", "registry username sent with the token (the registry ignores it)")
	flag.Parse()
	if flag.NArg() == 2 && flag.Arg(0) == "install" {
		if err := install(flag.Arg(1)); err != nil {
			fmt.Fprintf(os.Stderr, "berth-credential-provider: install: %v\n", err)
			os.Exit(1)
		}
		return
	}
	if flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: berth-credential-provider [--username NAME] < request | install DIR")
		os.Exit(2)
	}
	in, err := io.ReadAll(io.LimitReader(os.Stdin, maxRequestBytes+1))
	if err == nil && len(in) > maxRequestBytes {
		err = fmt.Errorf("request larger than %d bytes", maxRequestBytes)
	}
	var out []byte
	if err == nil {
		out, err = respond(in, *username, time.Now())
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "berth-credential-provider: %v\n", err)
		os.Exit(1)
	}
	if _, err := os.Stdout.Write(out); err != nil {
		os.Exit(1)
	}
}
