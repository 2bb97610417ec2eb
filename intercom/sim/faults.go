package sim

import (
	"log/slog"
	"net/http"
	"sort"
	"time"
)

// injectFault applies Options.Faults and reports whether it responded to
// (or dropped) the request.
func (s *Server) injectFault(w http.ResponseWriter, r *http.Request) bool {
	f := s.opts.Faults
	if f.DropRate > 0 && s.faults.float() < f.DropRate {
		s.opts.Logger.LogAttrs(r.Context(), slog.LevelInfo, "sim: injected dropped connection",
			slog.String("method", r.Method), slog.String("path", r.URL.Path))
		s.dropConnection(w, r)
		return true
	}

	if delay := f.Latency + time.Duration(s.faults.int64n(int64(f.LatencyJitter))); delay > 0 {
		timer := time.NewTimer(delay)
		select {
		case <-timer.C:
		case <-r.Context().Done():
			timer.Stop()
			return true
		}
	}

	if len(f.ErrorRates) == 0 {
		return false
	}
	statuses := make([]int, 0, len(f.ErrorRates))
	for status := range f.ErrorRates {
		statuses = append(statuses, status)
	}
	sort.Ints(statuses)
	for _, status := range statuses {
		if s.faults.float() >= f.ErrorRates[status] {
			continue
		}
		s.opts.Logger.LogAttrs(r.Context(), slog.LevelInfo, "sim: injected error status",
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Int("status", status))
		if status == http.StatusTooManyRequests {
			now := s.now().Unix()
			setRateHeaders(w.Header(), s.opts.TokenRateLimit, 0, now-mod(now, 10)+10)
		}
		s.writeError(w, r, injectedError(status, s.opts.TokenRateLimit))
		return true
	}
	return false
}

// injectedError returns the body Intercom sends for status, where known.
func injectedError(status, limit int) *apiError {
	switch status {
	case http.StatusRequestTimeout:
		return &apiError{status: status, code: "request_timeout", message: "Request Timeout"}
	case http.StatusTooManyRequests:
		return rateLimitError(limit)
	case http.StatusInternalServerError:
		return &apiError{status: status, code: "server_error", message: "Unknown server error"}
	case http.StatusBadGateway:
		return &apiError{status: status, code: "bad_gateway", message: "Bad Gateway"}
	case http.StatusServiceUnavailable:
		return &apiError{status: status, code: "service_unavailable", message: "Sorry, the API service is temporarily unavailable"}
	case http.StatusGatewayTimeout:
		return &apiError{status: status, code: "server_timeout", message: "Server timed out when making request"}
	}
	return &apiError{status: status, code: "sim_injected_error", message: http.StatusText(status)}
}

// dropConnection closes the connection without writing a response. When
// the connection cannot be hijacked and a net/http server is serving the
// request (HTTP/2), it aborts the handler with http.ErrAbortHandler, which
// the server recovers and turns into a reset stream. Called in process
// without a server (a ResponseRecorder), it writes a 503 with code
// sim_connection_dropped instead, so no panic reaches the caller.
func (s *Server) dropConnection(w http.ResponseWriter, r *http.Request) {
	if hijacker, ok := w.(http.Hijacker); ok {
		if conn, _, err := hijacker.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	if r.Context().Value(http.ServerContextKey) != nil {
		panic(http.ErrAbortHandler)
	}
	s.writeError(w, r, &apiError{status: http.StatusServiceUnavailable, code: "sim_connection_dropped", message: "simulator dropped the connection (no server to close it)"})
}
