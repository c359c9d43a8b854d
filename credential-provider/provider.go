package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

const (
	apiVersion = "credentialprovider.kubelet.k8s.io/v1"
	// cacheMargin: the kubelet drops the credentials this long before the token
	// expires, so a pull never starts with a token about to lapse.
	cacheMargin = 60 * time.Second
)

type request struct {
	APIVersion          string `json:"apiVersion"`
	Kind                string `json:"kind"`
	Image               string `json:"image"`
	ServiceAccountToken string `json:"serviceAccountToken"`
}

type authConfig struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

type response struct {
	APIVersion    string                `json:"apiVersion"`
	Kind          string                `json:"kind"`
	CacheKeyType  string                `json:"cacheKeyType"`
	CacheDuration string                `json:"cacheDuration"`
	Auth          map[string]authConfig `json:"auth"`
}

// respond turns a CredentialProviderRequest into the response JSON, or says why not.
func respond(in []byte, username string, now time.Time) ([]byte, error) {
	if len(bytes.TrimSpace(in)) == 0 {
		return nil, errors.New("empty request on stdin")
	}
	var req request
	if err := json.Unmarshal(in, &req); err != nil {
		return nil, fmt.Errorf("request is not JSON: %v", err)
	}
	if req.APIVersion != apiVersion || req.Kind != "CredentialProviderRequest" {
		return nil, fmt.Errorf("expected %s CredentialProviderRequest, got %q %q", apiVersion, req.APIVersion, req.Kind)
	}
	host, err := registryHost(req.Image)
	if err != nil {
		return nil, err
	}
	if req.ServiceAccountToken == "" {
		return nil, errors.New("no serviceAccountToken: set tokenAttributes.serviceAccountTokenAudience in the kubelet's CredentialProviderConfig")
	}
	exp, err := tokenExpiry(req.ServiceAccountToken)
	if err != nil {
		return nil, err
	}
	left := exp.Sub(now)
	if left <= 0 {
		return nil, errors.New("serviceAccountToken has expired")
	}
	cache := left - cacheMargin
	if cache < 0 {
		cache = 0 // still usable for this pull, but not worth caching
	}
	return json.Marshal(response{
		APIVersion:    apiVersion,
		Kind:          "CredentialProviderResponse",
		CacheKeyType:  "Registry",
		CacheDuration: fmt.Sprintf("%ds", int64(cache/time.Second)),
		Auth:          map[string]authConfig{host: {Username: username, Password: req.ServiceAccountToken}},
	})
}

// registryHost is the image's registry (host[:port]): the first path component
// when it looks like a host, as the kubelet and containerd read image names.
func registryHost(image string) (string, error) {
	first, _, found := strings.Cut(image, "/")
	if !found || first == "" || !(strings.ContainsAny(first, ".:") || first == "localhost") {
		return "", fmt.Errorf("image %q names no registry host", image)
	}
	return first, nil
}

// tokenExpiry reads `exp` from the token without verifying it: the registry
// verifies; the provider only needs to know how long the kubelet may cache it.
func tokenExpiry(token string) (time.Time, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return time.Time{}, errors.New("serviceAccountToken is not a JWT")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return time.Time{}, errors.New("serviceAccountToken payload is not base64url")
	}
	var claims struct {
		Exp *json.Number `json:"exp"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil || claims.Exp == nil {
		return time.Time{}, errors.New("serviceAccountToken has no exp claim")
	}
	seconds, err := claims.Exp.Int64()
	if err != nil {
		return time.Time{}, errors.New("serviceAccountToken exp is not an integer")
	}
	return time.Unix(seconds, 0), nil
}
