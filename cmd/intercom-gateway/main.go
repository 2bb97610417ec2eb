// Command intercom-gateway delivers RudderStack and Segment events to
// Intercom's REST API 2.10 through a sandboxed WASM mapping plugin.
//
// Usage:
//
//	intercom-gateway serve   -config gateway.yaml
//	intercom-gateway send    -config gateway.yaml events.ndjson
//	intercom-gateway explain -config gateway.yaml event.json
//	intercom-gateway sim     -addr 127.0.0.1:9090
//	intercom-gateway demo
//	intercom-gateway admin   queue | deadletters | deadletter ID | replay | pause NAME | resume NAME | plugin | swap MODULE | rollback
//	intercom-gateway plugin  keygen -out FILE | sign -key FILE MODULE
//	intercom-gateway migrate check -settings OLD.json -events SAMPLE.ndjson
//
// Run a command with -h for its flags. Exit status: 0 on success, 1 when
// some events were not delivered, 2 on a usage or configuration error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

// Exit statuses.
const (
	exitOK          = 0
	exitNotAllSent  = 1
	exitUsageConfig = 2
)

// usageError marks errors that exit with exitUsageConfig.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error)
}

var commands = []command{
	{"serve", "run the gateway: ingestion API, delivery workers, /healthz and /metrics", runServe},
	{"send", "deliver an NDJSON file of events once and print one result line per event", runSend},
	{"explain", "dry run: show every call the plugin plans for an event, and why", runExplain},
	{"sim", "run the Intercom 2.10 simulator", runSim},
	{"demo", "run the migration guide's events through the gateway against the simulator", runDemo},
	{"migrate", "migrate check: find what blocks a move from Intercom API 1.4 settings and events to 2.10", runMigrate},
	{"admin", "operate a running gateway: queue, dead letters, replay, pause, resume, plugin swap and rollback", runAdmin},
	{"plugin", "create a plugin signing key and sign plugin modules", runPlugin},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(stderr)
		if len(args) == 0 {
			return exitUsageConfig
		}
		return exitOK
	}
	for _, c := range commands {
		if c.name != args[0] {
			continue
		}
		code, err := c.run(ctx, args[1:], stdout, stderr)
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		if err != nil {
			fmt.Fprintf(stderr, "intercom-gateway %s: %v\n", c.name, err)
			var usage usageError
			if errors.As(err, &usage) {
				return exitUsageConfig
			}
			if code == exitOK {
				code = exitNotAllSent
			}
		}
		return code
	}
	fmt.Fprintf(stderr, "intercom-gateway: unknown command %q\n\n", args[0])
	printUsage(stderr)
	return exitUsageConfig
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "Usage: intercom-gateway <command> [flags] [arguments]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'intercom-gateway <command> -h' for the flags of a command.")
}

// newFlagSet returns a flag set that reports errors instead of exiting.
func newFlagSet(name, usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: intercom-gateway %s\n\n", usage)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args and wraps a flag error as a usage error.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	return nil
}

// newLogger writes text logs to stderr at the given level.
func newLogger(stderr io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, usagef("invalid -log-level %q: use debug, info, warn or error", level)
	}
	return slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: l})), nil
}
