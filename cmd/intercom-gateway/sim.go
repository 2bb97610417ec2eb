package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/intercom-gateway/gateway/intercom/sim"
)

// listFlag collects a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func runSim(ctx context.Context, args []string, _, stderr io.Writer) (int, error) {
	fs := newFlagSet("sim", "sim [flags]", stderr)
	addr := fs.String("addr", "127.0.0.1:9090", "address to listen on")
	region := fs.String("region", "us", "region this simulator serves: us, eu or au")
	var tokens, attributes listFlag
	fs.Var(&tokens, "token", "accepted access token, as TOKEN or TOKEN=REGION (repeatable; default: any non-empty token)")
	fs.Var(&attributes, "attribute", "custom data attribute defined at start, as MODEL:NAME:TYPE, e.g. contact:plan:string (repeatable)")
	searchLag := fs.Duration("search-lag", 0, "time before a new contact becomes searchable")
	errorRates := fs.String("error-rate", "", "injected errors as STATUS:PROBABILITY pairs, e.g. 503:0.1,500:0.05")
	latency := fs.Duration("latency", 0, "latency added to every API request")
	dropRate := fs.Float64("drop-rate", 0, "probability (0 to 1) of closing a connection without an answer")
	rateLimit := fs.Int("rate-limit", sim.DefaultTokenRateLimit, "requests allowed per token per 10-second window")
	companyList := fs.Bool("company-list", false, "answer GET /companies?company_id= with a list instead of one company")
	seed := fs.Uint64("seed", 0, "seed for ids and fault injection; 0 picks one at random")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn or error")
	if err := parseFlags(fs, args); err != nil {
		return exitUsageConfig, err
	}
	log, err := newLogger(stderr, *logLevel)
	if err != nil {
		return exitUsageConfig, err
	}
	opts := sim.Options{
		Region:              *region,
		TokenRateLimit:      *rateLimit,
		SearchLag:           *searchLag,
		CompanyLookupAsList: *companyList,
		Seed:                *seed,
		Logger:              log,
	}
	if len(tokens) > 0 {
		opts.Tokens = map[string]string{}
		for _, t := range tokens {
			token, tokenRegion, _ := strings.Cut(t, "=")
			opts.Tokens[token] = tokenRegion
		}
	}
	for _, a := range attributes {
		seedAttr, err := parseAttribute(a)
		if err != nil {
			return exitUsageConfig, err
		}
		opts.DataAttributes = append(opts.DataAttributes, seedAttr)
	}
	if opts.Faults.ErrorRates, err = sim.ParseErrorRates(*errorRates); err != nil {
		return exitUsageConfig, usageError{err}
	}
	opts.Faults.Latency = *latency
	opts.Faults.DropRate = *dropRate

	server, err := sim.New(opts)
	if err != nil {
		return exitUsageConfig, usageError{err}
	}
	running, err := server.Start(*addr)
	if err != nil {
		return exitUsageConfig, usageError{err}
	}
	fmt.Fprintf(stderr, "Intercom 2.10 simulator on %s (state: GET %s/_sim/state); Ctrl-C stops it\n", running.URL, running.URL)
	<-ctx.Done()
	closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := running.Close(closeCtx); err != nil {
		return exitNotAllSent, err
	}
	return exitOK, nil
}

// parseAttribute reads MODEL:NAME:TYPE.
func parseAttribute(spec string) (sim.DataAttributeSeed, error) {
	parts := strings.SplitN(spec, ":", 3)
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return sim.DataAttributeSeed{}, usagef("invalid -attribute %q: use MODEL:NAME:TYPE, e.g. contact:plan:string", spec)
	}
	return sim.DataAttributeSeed{Model: parts[0], Name: parts[1], DataType: parts[2]}, nil
}
