package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"strings"

	"github.com/intercom-gateway/gateway/config"
	"github.com/intercom-gateway/gateway/host"
	"github.com/intercom-gateway/gateway/intercom"
	"github.com/intercom-gateway/gateway/migrate"
)

// migrateStdin and stdinIsTerminal are the confirmation prompt's input,
// which tests replace.
var (
	migrateStdin    io.Reader = os.Stdin
	stdinIsTerminal           = func() bool { return migrate.IsTerminal(os.Stdin) }
)

const migrateUsage = `migrate check -settings OLD.json -events SAMPLE.ndjson [flags]

Checks a move from Intercom API 1.4 to 2.10 before any event fails: the new
settings, every custom attribute the events would write, names Intercom
rejects, type conflicts, invalid events and what relied on API 1.4.
Exit status: 0 when nothing blocks the migration, 1 when problems do, 2 on
a usage or input error.`

func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	if len(args) == 0 {
		fmt.Fprintf(stderr, "Usage: intercom-gateway %s\n", migrateUsage)
		return exitUsageConfig, usagef("migrate needs a sub-command: check")
	}
	switch args[0] {
	case "check":
		return runMigrateCheck(ctx, args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprintf(stderr, "Usage: intercom-gateway %s\n", migrateUsage)
		return exitOK, nil
	}
	return exitUsageConfig, usagef("unknown migrate sub-command %q; use migrate check", args[0])
}

// migrateFlags are the flags of migrate check.
type migrateFlags struct {
	settings, events     string
	pluginPath, cacheDir string
	baseURL, tokenEnv    string
	region, logLevel     string
	asJSON, apply, yes   bool
}

func runMigrateCheck(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	var f migrateFlags
	fs := newFlagSet("migrate check", migrateUsage, stderr)
	fs.StringVar(&f.settings, "settings", "", "old destination settings: a RudderStack destination export or its config object (JSON file)")
	fs.StringVar(&f.events, "events", "", "sample of real events: NDJSON, a JSON array or a {\"batch\": [...]} object (file, or - for stdin)")
	fs.StringVar(&f.pluginPath, "plugin", config.DefaultPlugin, "mapping plugin file (build it with make plugin)")
	fs.StringVar(&f.cacheDir, "cache-dir", "", "directory for the compiled plugin cache; empty compiles the plugin each run")
	fs.StringVar(&f.baseURL, "base-url", "", "API root of the workspace to compare with, such as a simulator's http://127.0.0.1:9090; needs -token-env")
	fs.StringVar(&f.tokenEnv, "token-env", "", "name of the environment variable that contains the workspace's access token; without it the attributes are not compared")
	fs.StringVar(&f.region, "region", "", "region of the workspace: standard (or us), eu or au; also fills a missing apiServer")
	fs.BoolVar(&f.asJSON, "json", false, "print the report as JSON instead of text")
	fs.BoolVar(&f.apply, "apply", false, "create the missing custom attributes in the workspace (POST /data_attributes) after a confirmation")
	fs.BoolVar(&f.yes, "yes", false, "with -apply, create the attributes without asking")
	fs.StringVar(&f.logLevel, "log-level", "warn", "log level: debug, info, warn or error")
	if err := parseFlags(fs, args); err != nil {
		return exitUsageConfig, err
	}
	if err := f.validate(fs.Args()); err != nil {
		return exitUsageConfig, err
	}
	log, err := newLogger(stderr, f.logLevel)
	if err != nil {
		return exitUsageConfig, err
	}

	in, err := f.readInput()
	if err != nil {
		return exitUsageConfig, err
	}
	client, workspace, err := f.openWorkspace(ctx, log)
	if err != nil {
		return exitUsageConfig, err
	}
	plugin, closePlugin, err := loadMigratePlugin(ctx, f.pluginPath, f.cacheDir, log)
	if err != nil {
		return exitUsageConfig, err
	}
	defer closePlugin()

	report, err := migrate.Check(ctx, in, migrate.Options{Plugin: plugin, Workspace: workspace, Region: f.region})
	if err != nil {
		return exitUsageConfig, usageError{err}
	}
	if err := f.writeReport(ctx, client, report, stdout, stderr); err != nil {
		return exitNotAllSent, err
	}
	return migrateExit(report)
}

// validate checks the flags that need no file or network.
func (f *migrateFlags) validate(rest []string) error {
	switch {
	case len(rest) > 0:
		return usagef("migrate check takes no arguments, got %q; give the files with -settings and -events", rest[0])
	case f.settings == "":
		return usagef("missing -settings: give the old destination settings, a RudderStack destination export or its config object")
	case f.events == "":
		return usagef("missing -events: give a sample of real events as NDJSON, a JSON array or a {\"batch\": [...]} object")
	}
	if f.region != "" {
		if _, err := intercom.BaseURL(f.region); err != nil {
			return usagef("invalid -region %q: use standard (or us), eu or au", f.region)
		}
	}
	if f.baseURL != "" && f.tokenEnv == "" {
		return usagef("-base-url needs -token-env: the name of an environment variable that contains the workspace's access token")
	}
	if f.tokenEnv != "" && !envName.MatchString(f.tokenEnv) {
		// The value is not echoed: it may be a token given by mistake.
		return usagef("-token-env must be the name of an environment variable (letters, digits and underscores), not the token itself")
	}
	if f.apply {
		if f.tokenEnv == "" {
			return usagef("-apply needs a workspace: give -token-env, and -base-url or -region")
		}
		if !f.yes && f.events == "-" {
			return usagef("-events - reads the events from stdin, so -apply cannot ask for confirmation there; add -yes")
		}
		if !f.yes && !stdinIsTerminal() {
			return usagef("-apply asks for confirmation on a terminal, but stdin is not a terminal; add -yes to create the attributes without asking")
		}
	}
	return nil
}

// envName matches a portable environment variable name of sensible length.
var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)

func (f *migrateFlags) readInput() (migrate.Input, error) {
	settings, err := os.ReadFile(f.settings)
	if err != nil {
		return migrate.Input{}, usagef("read the settings file: %w", err)
	}
	in := migrate.Input{SettingsName: f.settings, Settings: settings, EventsName: f.events}
	if f.events == "-" {
		in.EventsName = "stdin"
		in.Events, err = io.ReadAll(io.LimitReader(os.Stdin, 64<<20+1))
	} else {
		in.Events, err = os.ReadFile(f.events)
	}
	if err != nil {
		return migrate.Input{}, usagef("read the events file: %w", err)
	}
	return in, nil
}

// openWorkspace returns the workspace's client and its data attributes,
// or nils when no -token-env was given.
func (f *migrateFlags) openWorkspace(ctx context.Context, log *slog.Logger) (*intercom.Client, *migrate.Workspace, error) {
	if f.tokenEnv == "" {
		return nil, nil, nil
	}
	token, ok := os.LookupEnv(f.tokenEnv)
	if !ok || strings.TrimSpace(token) == "" {
		return nil, nil, usagef("environment variable %s (-token-env) is not set or empty; export the workspace's access token in it", f.tokenEnv)
	}
	client, err := intercom.New(intercom.Config{Token: strings.TrimSpace(token), Region: f.region, BaseURL: f.baseURL, Logger: log})
	if err != nil {
		return nil, nil, usagef("workspace client: %w", err)
	}
	workspace, err := migrate.FetchWorkspace(ctx, client)
	if err != nil {
		return nil, nil, usageError{err}
	}
	return client, workspace, nil
}

// loadMigratePlugin loads the mapping plugin the way delivery does.
func loadMigratePlugin(ctx context.Context, path, cacheDir string, log *slog.Logger) (*host.Plugin, func(), error) {
	module, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, usagef("read plugin: %w; build it with make plugin or give -plugin", err)
	}
	rt, err := host.NewRuntime(ctx, host.RuntimeConfig{CacheDir: cacheDir, Logger: log})
	if err != nil {
		return nil, nil, usageError{err}
	}
	plugin, err := rt.Load(ctx, module, host.PluginConfig{MaxInstances: 1})
	if err != nil {
		_ = rt.Close(context.WithoutCancel(ctx))
		return nil, nil, usagef("load plugin %s: %w", path, err)
	}
	closeAll := func() {
		_ = plugin.Close(context.WithoutCancel(ctx))
		_ = rt.Close(context.WithoutCancel(ctx))
	}
	return plugin, closeAll, nil
}

// writeReport prints the report and, with -apply, prompts for
// confirmation, creates the attributes and prints the results. Text output
// shows the report before the prompt, and JSON output is written once, at
// the end.
func (f *migrateFlags) writeReport(ctx context.Context, client *intercom.Client, report *migrate.Report, stdout, stderr io.Writer) error {
	if !f.apply {
		return printReport(stdout, report, f.asJSON)
	}
	if !f.asJSON {
		if err := migrate.WriteText(stdout, report); err != nil {
			return fmt.Errorf("write the report: %w", err)
		}
	}
	create, _ := report.ApplyPlan()
	confirmed := f.yes || len(create) == 0
	if !confirmed {
		fmt.Fprintf(stderr, "\nThese %d custom attributes will be created in the workspace at %s:\n", len(create), client.BaseURL())
		for _, a := range create {
			fmt.Fprintf(stderr, "  %s %q (%s)\n", a.Model, a.Name, a.Type)
		}
		var err error
		confirmed, err = migrate.Confirm(migrateStdin, stderr, "Create them?")
		if err != nil {
			return err
		}
	}
	if confirmed {
		if err := migrate.Apply(ctx, client, report); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(stderr, "No attribute was created.")
	}
	if f.asJSON {
		return printReport(stdout, report, true)
	}
	if report.Apply == nil {
		return nil
	}
	return migrate.WriteApplyText(stdout, report)
}

func printReport(w io.Writer, report *migrate.Report, asJSON bool) error {
	if !asJSON {
		return migrate.WriteText(w, report)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(report)
}

// migrateExit maps the report to the exit status and a one-line error for
// stderr.
func migrateExit(report *migrate.Report) (int, error) {
	switch {
	case report.HasInputErrors():
		return exitUsageConfig, usagef("the events file has %d unreadable parts, listed in the report; fix them and run the check again", len(report.Input.Errors))
	case report.Blocked():
		return exitNotAllSent, fmt.Errorf("%s", report.Summary.Verdict)
	}
	return exitOK, nil
}
