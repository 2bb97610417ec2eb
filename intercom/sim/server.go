package sim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/tidwall/gjson"
)

// Server is the simulator: an http.Handler serving Intercom's API paths at
// its root and an admin endpoint, GET /_sim/state, that returns State as JSON.
type Server struct {
	opts   Options
	ids    *idSource
	faults *idSource
	limits *rateWindows
	api    *http.ServeMux

	// mu guards st. Handlers hold it for the whole of their work on the
	// state, so every request sees a consistent workspace.
	mu sync.Mutex
	st *store
}

// New validates opts, applies the defaults and returns a Server holding the
// seeded data attributes.
func New(opts Options) (*Server, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Server{
		opts:   opts,
		ids:    newIDSource(opts.Seed),
		faults: newIDSource(opts.Seed ^ 0x5eed),
		limits: newRateWindows(),
		st:     newStore(),
	}
	if opts.Seed == 0 {
		s.faults = newIDSource(0)
	}
	if err := s.seedAttributes(opts.DataAttributes); err != nil {
		return nil, err
	}
	s.api = s.routes()
	return s, nil
}

// Handler returns s as an http.Handler.
func (s *Server) Handler() http.Handler { return s }

func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /contacts", s.handle(s.createContact))
	mux.HandleFunc("POST /contacts/search", s.handle(s.searchContacts))
	mux.HandleFunc("GET /contacts/{id}", s.handle(s.getContact))
	mux.HandleFunc("PUT /contacts/{id}", s.handle(s.updateContact))
	mux.HandleFunc("POST /contacts/{id}/archive", s.handle(s.archiveContact))
	mux.HandleFunc("POST /contacts/{id}/unarchive", s.handle(s.unarchiveContact))
	mux.HandleFunc("POST /contacts/{id}/companies", s.handle(s.attachCompany))
	mux.HandleFunc("DELETE /contacts/{contact_id}/companies/{id}", s.handle(s.detachCompany))
	mux.HandleFunc("POST /companies", s.handle(s.upsertCompany))
	mux.HandleFunc("GET /companies", s.handle(s.retrieveCompanies))
	mux.HandleFunc("GET /companies/{id}", s.handle(s.getCompany))
	mux.HandleFunc("POST /events", s.handle(s.createEvent))
	mux.HandleFunc("POST /tags", s.handle(s.createTag))
	mux.HandleFunc("GET /data_attributes", s.handle(s.listDataAttributes))
	mux.HandleFunc("POST /data_attributes", s.handle(s.createDataAttribute))
	// Intercom returns 404 for unknown paths and unsupported methods.
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { s.writeError(w, r, errNoRoute) })
	return mux
}

// ServeHTTP serves the admin endpoint or, for every other path, applies
// fault injection, the Accept check, authentication, rate limiting and the
// Content-Type check before the API handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/_sim/") {
		s.serveAdmin(w, r)
		return
	}
	if s.injectFault(w, r) {
		return
	}
	if !acceptsJSON(r.Header) {
		s.writeError(w, r, errNotAcceptable)
		return
	}
	token, authErr, reason := s.authenticate(r.Header)
	if authErr != nil {
		if reason != "" {
			w.Header().Set("X-Sim-Reason", reason)
		}
		s.writeError(w, r, authErr)
		return
	}
	if e := s.applyRateLimit(w, token); e != nil {
		s.writeError(w, r, e)
		return
	}
	if e := checkVersion(r.Header); e != nil {
		s.writeError(w, r, e)
		return
	}
	if e := checkContentType(r); e != nil {
		s.writeError(w, r, e)
		return
	}
	s.api.ServeHTTP(w, r)
}

// handlerFunc does one API operation on the locked state. It returns the
// status and the value to encode, where a nil value means an empty body.
type handlerFunc func(r *http.Request, body gjson.Result) (int, any, *apiError)

func (s *Server) handle(fn handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, e := s.readJSON(r)
		if e != nil {
			s.writeError(w, r, e)
			return
		}
		s.mu.Lock()
		status, value, e := fn(r, body)
		s.mu.Unlock()
		if e != nil {
			s.writeError(w, r, e)
			return
		}
		if value == nil {
			w.Header().Set("X-Request-Id", s.newRequestID())
			w.WriteHeader(status)
			return
		}
		s.writeJSON(w, status, value)
	}
}

func (s *Server) serveAdmin(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/_sim/state" || r.Method != http.MethodGet {
		s.writeError(w, r, errorf(http.StatusNotFound, "not_found", "simulator admin endpoint not found; use GET /_sim/state"))
		return
	}
	s.writeJSON(w, http.StatusOK, s.State())
}

func (s *Server) newRequestID() string { return s.ids.uuid() }

func (s *Server) now() time.Time { return s.opts.Now() }

// Running is a simulator listening on a TCP address.
type Running struct {
	// URL is the base URL to give clients, e.g. "http://127.0.0.1:41234".
	URL    string
	server *http.Server
	done   chan error
}

// Start listens on addr (for example "127.0.0.1:0") and serves in the
// background until Close.
func (s *Server) Start(addr string) (*Running, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("sim: listen on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	run := &Running{URL: "http://" + ln.Addr().String(), server: srv, done: make(chan error, 1)}
	s.opts.Logger.Info("sim: serving Intercom API 2.10", slog.String("url", run.URL), slog.String("region", s.opts.Region))
	go func() {
		err := srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		run.done <- err
	}()
	return run, nil
}

// Close stops accepting connections and waits for active requests until
// ctx ends.
func (r *Running) Close(ctx context.Context) error {
	if err := r.server.Shutdown(ctx); err != nil {
		return fmt.Errorf("sim: shut down %s: %w", r.URL, err)
	}
	return <-r.done
}

// ListenAndServe serves on addr until the listener fails, like
// http.ListenAndServe.
func (s *Server) ListenAndServe(addr string) error {
	run, err := s.Start(addr)
	if err != nil {
		return err
	}
	return <-run.done
}
