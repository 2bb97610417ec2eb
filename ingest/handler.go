package ingest

import (
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/tidwall/gjson"
)

// Sink stores accepted events for delivery. Accept returns only after the
// events are stored as well as the sink can store them; an error means
// none of them may be acknowledged.
type Sink interface {
	Accept(ctx context.Context, events []Event) error
}

// Resolver maps a write key to a destination name.
type Resolver func(writeKey string) (destination string, ok bool)

// Observer receives counts for metrics. Any method may be left nil.
type Observer struct {
	// Events counts events by destination and status: accepted,
	// not_sent (page, screen, alias) or invalid.
	Events func(destination, status string, n int)
	// Requests counts requests by HTTP status.
	Requests func(status int)
}

// Options configure a Handler.
type Options struct {
	// MaxBodyBytes caps a request body after decompression. Required.
	MaxBodyBytes int64
	Resolve      Resolver
	Sink         Sink
	Observer     Observer
	Logger       *slog.Logger
	// Now returns the receive time; default time.Now.
	Now func() time.Time
}

// Handler serves the tracking API.
type Handler struct {
	opts Options
	mux  *http.ServeMux
}

// NewHandler returns the ingestion handler.
func NewHandler(opts Options) *Handler {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	h := &Handler{opts: opts, mux: http.NewServeMux()}
	h.mux.HandleFunc("POST /v1/batch", func(w http.ResponseWriter, r *http.Request) { h.serve(w, r, "") })
	for _, typ := range []string{"identify", "track", "group", "page", "screen", "alias"} {
		h.mux.HandleFunc("POST /v1/"+typ, func(w http.ResponseWriter, r *http.Request) { h.serve(w, r, typ) })
	}
	return h
}

// ServeHTTP routes a request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// Rejection reports one event that was not accepted.
type Rejection struct {
	Index     int    `json:"index"`
	MessageID string `json:"messageId,omitempty"`
	Error     string `json:"error"`
}

// Reply is the JSON body of every ingestion answer.
type Reply struct {
	Success  bool        `json:"success"`
	Accepted int         `json:"accepted"`
	NotSent  int         `json:"notSent,omitempty"`
	Rejected []Rejection `json:"rejected,omitempty"`
	Error    string      `json:"error,omitempty"`
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request, route string) {
	body, status, err := h.readBody(w, r)
	if err != nil {
		h.reply(w, status, Reply{Error: err.Error()})
		return
	}

	writeKey := basicUser(r)
	if writeKey == "" {
		writeKey = gjson.GetBytes(body, "writeKey").String()
	}
	if writeKey == "" {
		h.reply(w, http.StatusUnauthorized, Reply{Error: "missing write key; send it as the HTTP Basic user name"})
		return
	}
	destination, ok := h.opts.Resolve(writeKey)
	if !ok {
		h.reply(w, http.StatusUnauthorized, Reply{Error: "unknown write key; check the SDK's write key against the gateway's configuration"})
		return
	}

	raws, err := splitMessages(body, route)
	if err != nil {
		h.reply(w, http.StatusBadRequest, Reply{Error: err.Error()})
		return
	}

	now := h.opts.Now()
	var events []Event
	var reply Reply
	for i, raw := range raws {
		ev, err := Normalize(raw, route, now)
		if err != nil {
			reply.Rejected = append(reply.Rejected, Rejection{Index: i, MessageID: gjson.GetBytes(raw, "messageId").String(), Error: err.Error()})
			continue
		}
		ev.Destination = destination
		if !ev.Sent() {
			reply.NotSent++
		}
		events = append(events, ev)
	}
	h.count(destination, "invalid", len(reply.Rejected))
	if len(events) == 0 {
		reply.Error = "no valid event in the request"
		h.reply(w, http.StatusBadRequest, reply)
		return
	}

	if err := h.opts.Sink.Accept(r.Context(), events); err != nil {
		h.opts.Logger.Error("events could not be stored", "destination", destination, "events", len(events), "error", err)
		h.reply(w, http.StatusServiceUnavailable, Reply{Error: "the gateway could not store the events (" + err.Error() + "); retry later"})
		return
	}
	reply.Success = true
	reply.Accepted = len(events)
	h.count(destination, "accepted", len(events)-reply.NotSent)
	h.count(destination, "not_sent", reply.NotSent)
	h.reply(w, http.StatusOK, reply)
}

// readBody reads the request body within the size limit, after gzip
// decompression when the body is gzip-encoded.
func (h *Handler) readBody(w http.ResponseWriter, r *http.Request) ([]byte, int, error) {
	limit := h.opts.MaxBodyBytes
	var reader io.Reader = http.MaxBytesReader(w, r.Body, limit)
	if strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip") {
		gz, err := gzip.NewReader(reader)
		if err != nil {
			return nil, http.StatusBadRequest, fmt.Errorf("the body is not valid gzip: %v", err)
		}
		defer gz.Close()
		reader = io.LimitReader(gz, limit+1)
	}
	body, err := io.ReadAll(reader)
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) || int64(len(body)) > limit {
		return nil, http.StatusRequestEntityTooLarge, fmt.Errorf("the body is larger than %d bytes; send smaller batches", limit)
	}
	if err != nil {
		return nil, http.StatusBadRequest, fmt.Errorf("reading the body failed: %v", err)
	}
	return body, 0, nil
}

// splitMessages returns the raw messages of a request: the batch array of
// /v1/batch, or the body itself on a single-event route.
func splitMessages(body []byte, route string) ([][]byte, error) {
	if !gjson.ValidBytes(body) {
		return nil, fmt.Errorf("the body is not valid JSON")
	}
	root := gjson.ParseBytes(body)
	if !root.IsObject() {
		return nil, fmt.Errorf("the body is not a JSON object")
	}
	if route != "" {
		return [][]byte{body}, nil
	}
	batch := root.Get("batch")
	if !batch.IsArray() {
		return nil, fmt.Errorf("the body has no batch array; send {\"batch\": [...]}")
	}
	var raws [][]byte
	batch.ForEach(func(_, m gjson.Result) bool {
		raws = append(raws, []byte(m.Raw))
		return true
	})
	if len(raws) == 0 {
		return nil, fmt.Errorf("the batch is empty")
	}
	return raws, nil
}

// basicUser returns the HTTP Basic user name, which carries the write key.
func basicUser(r *http.Request) string {
	if user, _, ok := r.BasicAuth(); ok {
		return user
	}
	// Some SDKs send "Basic <base64(writeKey)>" without the colon.
	auth := r.Header.Get("Authorization")
	if len(auth) > 6 && strings.EqualFold(auth[:6], "basic ") {
		if raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(auth[6:])); err == nil {
			return strings.TrimSuffix(string(raw), ":")
		}
	}
	return ""
}

func (h *Handler) count(destination, status string, n int) {
	if h.opts.Observer.Events != nil && n > 0 {
		h.opts.Observer.Events(destination, status, n)
	}
}

func (h *Handler) reply(w http.ResponseWriter, status int, reply Reply) {
	if h.opts.Observer.Requests != nil {
		h.opts.Observer.Requests(status)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(reply)
}
