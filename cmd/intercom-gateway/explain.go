package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/intercom-gateway/gateway/config"
	"github.com/intercom-gateway/gateway/gateway"
	"github.com/intercom-gateway/gateway/host"
	"github.com/intercom-gateway/gateway/ingest"
	"github.com/intercom-gateway/gateway/intercom/sim"
	"github.com/intercom-gateway/gateway/mapping"
)

// scriptedAnswer is one entry of an -answers file.
type scriptedAnswer struct {
	Method string          `json:"method"`
	Path   string          `json:"path"`
	Status int             `json:"status"`
	Body   json.RawMessage `json:"body"`
	Error  string          `json:"error"`
}

func runExplain(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	fs := newFlagSet("explain", "explain [flags] EVENT.json|-", stderr)
	settingsJSON := fs.String("settings", "{}", "destination settings as a JSON object, e.g. {\"apiServer\":\"eu\"}")
	answersPath := fs.String("answers", "", "JSON file with a list of answers ({status, body}) given to the planned calls in order; without it an in-process simulator answers")
	pluginPath := fs.String("plugin", config.DefaultPlugin, "mapping plugin file")
	var attributes listFlag
	fs.Var(&attributes, "attribute", "custom data attribute the simulated workspace defines, as MODEL:NAME:TYPE (repeatable)")
	asJSON := fs.Bool("json", false, "print the result as JSON instead of text")
	if err := parseFlags(fs, args); err != nil {
		return exitUsageConfig, err
	}
	if fs.NArg() != 1 {
		return exitUsageConfig, usagef("explain takes one event file (or - for stdin)")
	}
	raw, err := readEvent(fs.Arg(0))
	if err != nil {
		return exitUsageConfig, err
	}
	ev, err := ingest.Normalize(raw, "", time.Now())
	if err != nil {
		return exitUsageConfig, usagef("invalid event: %w", err)
	}
	if _, err := mapping.ParseSettings([]byte(*settingsJSON)); err != nil {
		return exitUsageConfig, usagef("invalid -settings: %w", err)
	}

	var res mapping.Result
	if *answersPath != "" {
		res, err = explainWithAnswers(ctx, *pluginPath, *answersPath, ev.Body, []byte(*settingsJSON))
	} else {
		res, err = explainWithSimulator(ctx, *pluginPath, attributes, ev, []byte(*settingsJSON))
	}
	if err != nil {
		return exitUsageConfig, err
	}

	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return exitOK, enc.Encode(res)
	}
	printExplanation(stdout, ev, res)
	return exitOK, nil
}

func readEvent(path string) ([]byte, error) {
	if path == "-" {
		data, err := io.ReadAll(io.LimitReader(os.Stdin, mapping.MaxEventSize+1))
		if err != nil {
			return nil, usagef("read event from stdin: %w", err)
		}
		return data, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, usagef("read event: %w", err)
	}
	return data, nil
}

// explainWithAnswers runs the plugin with scripted responses from a file,
// so nothing is sent anywhere.
func explainWithAnswers(ctx context.Context, pluginPath, answersPath string, event, settings []byte) (mapping.Result, error) {
	data, err := os.ReadFile(answersPath)
	if err != nil {
		return mapping.Result{}, usagef("read the answers file: %w", err)
	}
	var answers []scriptedAnswer
	if err := json.Unmarshal(data, &answers); err != nil {
		return mapping.Result{}, usagef("invalid answers file %s: want a JSON list of responses {status, body}: %w", answersPath, err)
	}
	module, err := os.ReadFile(pluginPath)
	if err != nil {
		return mapping.Result{}, usagef("read plugin: %w; build it with make plugin", err)
	}
	log, _ := newLogger(io.Discard, "error")
	rt, err := host.NewRuntime(ctx, host.RuntimeConfig{Logger: log})
	if err != nil {
		return mapping.Result{}, err
	}
	defer rt.Close(context.WithoutCancel(ctx))
	plugin, err := rt.Load(ctx, module, host.PluginConfig{})
	if err != nil {
		return mapping.Result{}, usagef("load plugin %s: %w", pluginPath, err)
	}
	defer plugin.Close(context.WithoutCancel(ctx))

	next := 0
	sender := host.SenderFunc(func(_ context.Context, req mapping.Request) (mapping.Response, error) {
		if next >= len(answers) {
			return mapping.Response{}, fmt.Errorf("the answers file has no response for call %d (%s %s); add one", next+1, req.Method, req.Path)
		}
		a := answers[next]
		next++
		if (a.Method != "" && a.Method != req.Method) || (a.Path != "" && a.Path != req.Path) {
			return mapping.Response{}, fmt.Errorf("response %d of the answers file is for %s %s, but the plugin planned %s %s", next, a.Method, a.Path, req.Method, req.Path)
		}
		return mapping.Response{Status: a.Status, Body: a.Body, Error: a.Error}, nil
	})
	d := host.Deliverer{Plugin: plugin, Sender: sender}
	return d.Deliver(ctx, event, settings, time.Now().Unix()), nil
}

// explainWithSimulator runs the event through a gateway whose destination
// is an in-process simulator on loopback, so nothing reaches Intercom.
func explainWithSimulator(ctx context.Context, pluginPath string, attributes []string, ev ingest.Event, settings []byte) (mapping.Result, error) {
	opts := sim.Options{Seed: 1}
	for _, a := range attributes {
		seedAttr, err := parseAttribute(a)
		if err != nil {
			return mapping.Result{}, err
		}
		opts.DataAttributes = append(opts.DataAttributes, seedAttr)
	}
	quiet, _ := newLogger(io.Discard, "error")
	opts.Logger = quiet
	server, err := sim.New(opts)
	if err != nil {
		return mapping.Result{}, usageError{err}
	}
	running, err := server.Start("127.0.0.1:0")
	if err != nil {
		return mapping.Result{}, err
	}
	defer running.Close(context.WithoutCancel(ctx))

	// A dry run against a local simulator: the module runs sandboxed and
	// nothing reaches Intercom, so an unsigned development build is fine.
	cfgText := fmt.Sprintf(`{"plugin":%q,"workers":1,"plugins":{"allowUnsigned":true},"destinations":[{"name":"explain","writeKeys":["explain"],"apiKey":"explain-token","baseURL":%q,"settings":%s}]}`,
		pluginPath, running.URL, settings)
	cfg, err := config.Parse([]byte(cfgText), func(string) (string, bool) { return "", false })
	if err != nil {
		return mapping.Result{}, usageError{err}
	}
	g, err := gateway.New(ctx, cfg, gateway.Options{Logger: quiet, WithoutQueue: true})
	if err != nil {
		return mapping.Result{}, usageError{err}
	}
	defer g.Close(context.WithoutCancel(ctx))
	ev.Destination = "explain"
	return g.Deliver(ctx, ev), nil
}

func printExplanation(w io.Writer, ev ingest.Event, res mapping.Result) {
	fmt.Fprintf(w, "Event: %s (messageId %s)\n\n", ev.Type, ev.MessageID)
	for i, c := range res.Calls {
		fmt.Fprintf(w, "%d. %s %s\n", i+1, c.Request.Method, c.Request.Path)
		if c.Request.Reason != "" {
			fmt.Fprintf(w, "   why:    %s\n", c.Request.Reason)
		}
		if len(c.Request.Body) > 0 {
			fmt.Fprintf(w, "   body:   %s\n", shorten(string(c.Request.Body), 400))
		}
		answer := answerSummary(c.Response)
		if len(c.Response.Body) > 0 {
			answer += " " + shorten(string(c.Response.Body), 200)
		}
		fmt.Fprintf(w, "   answer: %s\n\n", answer)
	}
	if len(res.Calls) == 0 {
		fmt.Fprintln(w, "No call planned.")
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "Outcome: %s\n%s\n", res.Outcome, res.Message)
	for _, warning := range res.Warnings {
		fmt.Fprintf(w, "Warning: %s\n", warning)
	}
	for _, e := range res.Errors {
		code := ""
		if e.Code != "" {
			code = " " + e.Code
		}
		fmt.Fprintf(w, "Error: %s, status %d%s: %s\n", e.Call, e.Status, code, e.Message)
	}
}

func shorten(s string, max int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}
