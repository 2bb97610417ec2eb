package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/intercom-gateway/gateway/config"
	"github.com/intercom-gateway/gateway/gateway"
	"github.com/intercom-gateway/gateway/ingest"
	"github.com/intercom-gateway/gateway/mapping"
)

// resultLine is one line of the send command's output.
type resultLine struct {
	Line      int             `json:"line"`
	MessageID string          `json:"messageId,omitempty"`
	Type      string          `json:"type,omitempty"`
	Outcome   mapping.Outcome `json:"outcome"`
	Message   string          `json:"message"`
	Warnings  []string        `json:"warnings,omitempty"`
	Errors    []mapping.Error `json:"errors,omitempty"`
	Calls     []callLine      `json:"calls,omitempty"`
}

type callLine struct {
	Method string `json:"method"`
	Path   string `json:"path"`
	Status int    `json:"status"`
}

func runSend(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	fs := newFlagSet("send", "send -config FILE [flags] [EVENTS.ndjson|-]", stderr)
	configPath := fs.String("config", "gateway.yaml", "configuration file (YAML or JSON)")
	destName := fs.String("destination", "", "destination name; may be left out when the file has one destination")
	progress := fs.Bool("progress", isTerminal(os.Stderr), "draw a progress bar on stderr (default: when stderr is a terminal)")
	logLevel := fs.String("log-level", "warn", "log level: debug, info, warn or error")
	if err := parseFlags(fs, args); err != nil {
		return exitUsageConfig, err
	}
	if fs.NArg() > 1 {
		return exitUsageConfig, usagef("send takes one events file, got %d arguments", fs.NArg())
	}
	log, err := newLogger(stderr, *logLevel)
	if err != nil {
		return exitUsageConfig, err
	}
	cfg, err := config.Load(*configPath)
	if err != nil {
		return exitUsageConfig, usageError{err}
	}
	dest, err := pickDestination(cfg, *destName)
	if err != nil {
		return exitUsageConfig, err
	}
	lines, err := readLines(fs.Arg(0))
	if err != nil {
		return exitUsageConfig, err
	}

	g, err := gateway.New(ctx, cfg, gateway.Options{Logger: log, WithoutQueue: true})
	if err != nil {
		return exitUsageConfig, usageError{err}
	}
	defer g.Close(context.WithoutCancel(ctx))

	out := json.NewEncoder(stdout)
	bar := newProgress(stderr, len(lines), *progress)
	notDelivered := 0
	for i, l := range lines {
		if ctx.Err() != nil {
			return exitNotAllSent, fmt.Errorf("interrupted after %d of %d events", i, len(lines))
		}
		line := deliverLine(ctx, g, dest, l.number, l.text)
		if line.Outcome != mapping.OutcomeDelivered {
			notDelivered++
		}
		if err := out.Encode(line); err != nil {
			return exitNotAllSent, fmt.Errorf("write result: %w", err)
		}
		bar.step(notDelivered)
	}
	bar.done()
	if notDelivered > 0 {
		return exitNotAllSent, fmt.Errorf("%d of %d events were not delivered; see their result lines", notDelivered, len(lines))
	}
	return exitOK, nil
}

func deliverLine(ctx context.Context, g *gateway.Gateway, dest string, n int, raw []byte) resultLine {
	line := resultLine{Line: n}
	ev, err := ingest.Normalize(raw, "", time.Now())
	if err != nil {
		line.Outcome = mapping.OutcomeInvalidEvent
		line.Message = "invalid event: " + err.Error()
		return line
	}
	ev.Destination = dest
	line.MessageID, line.Type = ev.MessageID, ev.Type
	res := g.Deliver(ctx, ev)
	line.Outcome, line.Message, line.Warnings, line.Errors = res.Outcome, res.Message, res.Warnings, res.Errors
	for _, c := range res.Calls {
		line.Calls = append(line.Calls, callLine{Method: c.Request.Method, Path: c.Request.Path, Status: c.Response.Status})
	}
	return line
}

func pickDestination(cfg *config.Config, name string) (string, error) {
	if name == "" {
		if len(cfg.Destinations) != 1 {
			return "", usagef("the configuration has %d destinations; choose one with -destination", len(cfg.Destinations))
		}
		return cfg.Destinations[0].Name, nil
	}
	for _, d := range cfg.Destinations {
		if d.Name == name {
			return name, nil
		}
	}
	return "", usagef("no destination named %q in the configuration", name)
}

// numberedLine is one non-empty input line with its line number.
type numberedLine struct {
	number int
	text   []byte
}

// readLines reads the non-empty lines of path, or of stdin for "" or "-".
func readLines(path string) ([]numberedLine, error) {
	var r io.Reader = os.Stdin
	if path != "" && path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, usagef("open events file: %w", err)
		}
		defer f.Close()
		r = f
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), mapping.MaxEventSize+1)
	var lines []numberedLine
	for n := 1; sc.Scan(); n++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		lines = append(lines, numberedLine{n, append([]byte(nil), sc.Bytes()...)})
	}
	if err := sc.Err(); err != nil {
		return nil, usagef("read events (one JSON event per line, at most %d bytes each): %w", mapping.MaxEventSize, err)
	}
	return lines, nil
}

// isTerminal reports whether f is a character device, such as a terminal.
func isTerminal(f *os.File) bool {
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

// progress draws "[=====>    ] 12/40, 1 not delivered" on one line.
type progress struct {
	w       io.Writer
	total   int
	current int
	on      bool
}

func newProgress(w io.Writer, total int, on bool) *progress {
	return &progress{w: w, total: total, on: on && total > 0}
}

func (p *progress) step(failed int) {
	p.current++
	if !p.on {
		return
	}
	const width = 30
	filled := p.current * width / p.total
	bar := make([]byte, width)
	for i := range bar {
		switch {
		case i < filled:
			bar[i] = '='
		case i == filled:
			bar[i] = '>'
		default:
			bar[i] = ' '
		}
	}
	fmt.Fprintf(p.w, "\r[%s] %d/%d, %d not delivered", bar, p.current, p.total, failed)
}

func (p *progress) done() {
	if p.on {
		fmt.Fprintln(p.w)
	}
}
