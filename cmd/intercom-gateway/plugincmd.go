package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"strings"
)

const pluginUsage = `plugin <keygen|sign> [flags]

  keygen -out FILE           write an ed25519 signing key to FILE and its public key to FILE.pub
  sign -key FILE MODULE      write MODULE.sig, the base64 signature the gateway verifies before loading MODULE
`

func runPlugin(_ context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	if len(args) == 0 {
		fmt.Fprint(stderr, "Usage: intercom-gateway "+pluginUsage)
		return exitUsageConfig, usagef("missing action: keygen or sign")
	}
	if args[0] == "-h" || args[0] == "-help" || args[0] == "--help" {
		fmt.Fprint(stderr, "Usage: intercom-gateway "+pluginUsage)
		return exitOK, nil
	}
	switch args[0] {
	case "keygen":
		return pluginKeygen(args[1:], stdout, stderr)
	case "sign":
		return pluginSign(args[1:], stdout, stderr)
	}
	return exitUsageConfig, usagef("unknown plugin action %q; use keygen or sign", args[0])
}

func pluginKeygen(args []string, stdout, stderr io.Writer) (int, error) {
	fs := newFlagSet("plugin keygen", "plugin keygen -out FILE", stderr)
	out := fs.String("out", "", "private key file; the public key goes to FILE.pub")
	if err := parseFlags(fs, args); err != nil {
		return exitUsageConfig, err
	}
	if *out == "" {
		return exitUsageConfig, usagef("-out is required")
	}
	if _, err := os.Stat(*out); err == nil {
		return exitUsageConfig, usagef("%s exists; remove it first, so no key is overwritten by mistake", *out)
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return exitNotAllSent, err
	}
	if err := os.WriteFile(*out, []byte(base64.StdEncoding.EncodeToString(priv.Seed())+"\n"), 0o600); err != nil {
		return exitUsageConfig, usagef("write the private key: %w", err)
	}
	if err := os.WriteFile(*out+".pub", []byte(base64.StdEncoding.EncodeToString(pub)+"\n"), 0o644); err != nil {
		return exitUsageConfig, usagef("write the public key: %w", err)
	}
	fmt.Fprintf(stdout, "private key: %s (keep it secret)\npublic key:  %s.pub (set plugins.publicKeyFile to it)\n", *out, *out)
	return exitOK, nil
}

func pluginSign(args []string, stdout, stderr io.Writer) (int, error) {
	fs := newFlagSet("plugin sign", "plugin sign -key FILE MODULE", stderr)
	keyPath := fs.String("key", "", "private key file written by plugin keygen")
	if err := parseFlags(fs, args); err != nil {
		return exitUsageConfig, err
	}
	if *keyPath == "" || fs.NArg() != 1 {
		return exitUsageConfig, usagef("plugin sign needs -key and one module file")
	}
	keyText, err := os.ReadFile(*keyPath)
	if err != nil {
		return exitUsageConfig, usagef("read the key: %w", err)
	}
	seed, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(keyText)))
	if err != nil || len(seed) != ed25519.SeedSize {
		return exitUsageConfig, usagef("%s is not a key written by plugin keygen", *keyPath)
	}
	module, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return exitUsageConfig, usagef("read the module: %w", err)
	}
	sig := ed25519.Sign(ed25519.NewKeyFromSeed(seed), module)
	if err := os.WriteFile(fs.Arg(0)+".sig", []byte(base64.StdEncoding.EncodeToString(sig)+"\n"), 0o644); err != nil {
		return exitUsageConfig, usagef("write the signature: %w", err)
	}
	fmt.Fprintf(stdout, "signed %s → %s.sig\n", fs.Arg(0), fs.Arg(0))
	return exitOK, nil
}
