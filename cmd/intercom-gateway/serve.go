package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/intercom-gateway/gateway/config"
	"github.com/intercom-gateway/gateway/gateway"
)

func runServe(ctx context.Context, args []string, _, stderr io.Writer) (int, error) {
	fs := newFlagSet("serve", "serve -config FILE [flags]", stderr)
	configPath := fs.String("config", "gateway.yaml", "configuration file (YAML or JSON)")
	listen := fs.String("listen", "", "ingestion address, overriding the file's listen")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn or error")
	if err := parseFlags(fs, args); err != nil {
		return exitUsageConfig, err
	}
	log, err := newLogger(stderr, *logLevel)
	if err != nil {
		return exitUsageConfig, err
	}
	cfg, err := config.Load(*configPath)
	if err != nil {
		return exitUsageConfig, usageError{err}
	}
	if *listen != "" {
		cfg.Listen = *listen
	}
	if err := cfg.RequireAdminToken(); err != nil {
		return exitUsageConfig, usageError{err}
	}

	g, err := gateway.New(ctx, cfg, gateway.Options{Logger: log})
	if err != nil {
		return exitUsageConfig, usageError{err}
	}
	defer g.Close(context.WithoutCancel(ctx))

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return exitUsageConfig, usagef("listen on %s: %w", cfg.Listen, err)
	}
	srv := &http.Server{Handler: g.Handler(), ReadHeaderTimeout: 10 * time.Second}
	log.Info("gateway serving", "address", ln.Addr().String(), "destinations", len(cfg.Destinations), "workers", cfg.Workers)

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	runDone := make(chan struct{})
	runCtx, stopWorkers := context.WithCancel(ctx)
	go func() { g.Run(runCtx); close(runDone) }()

	select {
	case <-ctx.Done():
	case err := <-serveErr:
		stopWorkers()
		<-runDone
		return exitNotAllSent, fmt.Errorf("ingestion server stopped: %w", err)
	}
	log.Info("gateway shutting down", "timeout", cfg.ShutdownTimeout.Duration)
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout.Duration)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Warn("ingestion server shutdown failed", "error", err)
	}
	stopWorkers()
	<-runDone
	log.Info("gateway stopped")
	return exitOK, nil
}
