package sim

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
)

// errorItem and errorList are Intercom's error.list envelope.
type errorItem struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

type errorList struct {
	Type      string      `json:"type"`
	RequestID *string     `json:"request_id"`
	Errors    []errorItem `json:"errors"`
}

// apiError is an error response a handler decided on.
type apiError struct {
	status  int
	code    string
	message string
	// nullRequestID sends "request_id": null, as Intercom does for the
	// unknown-parameter 400 of POST /companies.
	nullRequestID bool
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.status, e.code, e.message) }

func errorf(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

// Documented error responses.
var (
	errUnauthorized  = &apiError{status: http.StatusUnauthorized, code: "unauthorized", message: "Access Token Invalid"}
	errNotAcceptable = &apiError{status: http.StatusNotAcceptable, code: "media_type_not_acceptable", message: "The Accept header should send a media type of application/json"}
	errUserNotFound  = &apiError{status: http.StatusNotFound, code: "not_found", message: "User Not Found"}
	// errContactNotFound is the 404 of contact update in the 2.6 docs.
	errContactNotFound = &apiError{status: http.StatusNotFound, code: "not_found", message: "Contact Not Found"}
	errCompanyNotFound = &apiError{status: http.StatusNotFound, code: "company_not_found", message: "Company Not Found"}
	errNoRoute         = &apiError{status: http.StatusNotFound, code: "not_found", message: "Resource Not Found"}
)

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, e *apiError) {
	requestID := s.newRequestID()
	body := errorList{Type: "error.list", Errors: []errorItem{{Code: e.code, Message: e.message}}}
	if !e.nullRequestID {
		body.RequestID = &requestID
	}
	w.Header().Set("X-Request-Id", requestID)
	s.writeJSON(w, e.status, body)
	s.opts.Logger.LogAttrs(r.Context(), slog.LevelDebug, "sim: error response",
		slog.String("method", r.Method), slog.String("path", r.URL.Path),
		slog.Int("status", e.status), slog.String("code", e.code),
		slog.String("message", e.message), slog.String("request_id", requestID))
}

func (s *Server) writeJSON(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		// Only the simulator's own types are encoded, so this is a bug.
		s.opts.Logger.Error("sim: encode response", slog.String("error", err.Error()))
		status = http.StatusInternalServerError
		data = []byte(`{"type":"error.list","request_id":null,"errors":[{"code":"server_error","message":"simulator failed to encode its response"}]}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if w.Header().Get("X-Request-Id") == "" {
		w.Header().Set("X-Request-Id", s.newRequestID())
	}
	w.WriteHeader(status)
	_, _ = w.Write(data)
}
