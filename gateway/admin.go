package gateway

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/intercom-gateway/gateway/queue"
)

// adminRoutes adds the operator API under /admin/, authenticated by the
// configured bearer token. Without a token the routes return 404, so the
// API is off unless an operator turned it on.
func (g *Gateway) adminRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /admin/queue", g.admin(g.adminQueue))
	mux.HandleFunc("GET /admin/deadletters", g.admin(g.adminDeadLetters))
	mux.HandleFunc("GET /admin/deadletters/{id}", g.admin(g.adminDeadLetter))
	mux.HandleFunc("POST /admin/deadletters/replay", g.admin(g.adminReplay))
	mux.HandleFunc("POST /admin/destinations/{name}/pause", g.admin(g.adminPause))
	mux.HandleFunc("POST /admin/destinations/{name}/resume", g.admin(g.adminResume))
	mux.HandleFunc("GET /admin/plugin", g.admin(g.adminPlugin))
	mux.HandleFunc("PUT /admin/plugin", g.admin(g.adminSwap))
	mux.HandleFunc("POST /admin/plugin/rollback", g.admin(g.adminRollback))
}

func (g *Gateway) adminPlugin(w http.ResponseWriter, _ *http.Request) {
	body := map[string]any{"current": g.current.Load().status(), "swaps": g.SwapHistory()}
	g.swapMu.Lock()
	if g.previous != nil {
		body["previous"] = g.previous.status()
	}
	g.swapMu.Unlock()
	writeJSON(w, http.StatusOK, body)
}

// maxModuleBytes bounds an uploaded plugin module.
const maxModuleBytes = 64 << 20

// adminSwap takes the module bytes as the body, or path=FILE naming a
// module on the gateway's machine (its signature then comes from FILE.sig).
// The base64 signature may also come in X-Plugin-Signature, the expected
// hash in X-Plugin-SHA256, and acceptDifferences=true swaps despite
// self-test differences.
func (g *Gateway) adminSwap(w http.ResponseWriter, r *http.Request) {
	signature := r.Header.Get("X-Plugin-Signature")
	var module []byte
	var err error
	if path := r.URL.Query().Get("path"); path != "" {
		module, err = os.ReadFile(path)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "reading the module failed: " + err.Error()})
			return
		}
		if sig, err := os.ReadFile(path + ".sig"); err == nil && signature == "" {
			signature = string(sig)
		}
	} else {
		module, err = io.ReadAll(io.LimitReader(r.Body, maxModuleBytes+1))
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "reading the module failed: " + err.Error()})
			return
		}
	}
	if len(module) > maxModuleBytes {
		writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": fmt.Sprintf("the module is larger than %d bytes", maxModuleBytes)})
		return
	}
	who := r.Header.Get("X-Requested-By")
	if who == "" {
		who = "admin API"
	}
	report, err := g.Swap(r.Context(), SwapRequest{
		Module:            module,
		Signature:         signature,
		SHA256:            r.Header.Get("X-Plugin-SHA256"),
		AcceptDifferences: r.URL.Query().Get("acceptDifferences") == "true",
		RequestedBy:       who + " from " + r.RemoteAddr,
	})
	status := http.StatusOK
	if err != nil {
		status = http.StatusConflict
	}
	writeJSON(w, status, report)
}

func (g *Gateway) adminRollback(w http.ResponseWriter, r *http.Request) {
	report, err := g.Rollback(r.Context(), "rollback through the admin API from "+r.RemoteAddr)
	status := http.StatusOK
	if err != nil {
		status = http.StatusConflict
	}
	writeJSON(w, status, report)
}

func (g *Gateway) admin(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if g.cfg.AdminToken == "" {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "the admin API is off; set adminTokenEnv in the configuration to turn it on"})
			return
		}
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(token), []byte(g.cfg.AdminToken)) != 1 {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "missing or wrong admin token; send Authorization: Bearer <token>"})
			return
		}
		h(w, r)
	}
}

func (g *Gateway) adminQueue(w http.ResponseWriter, _ *http.Request) {
	st, err := g.store.Stats()
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
		return
	}
	body := map[string]any{"stats": st}
	if !st.OldestPending.IsZero() {
		body["oldestPendingAgeSeconds"] = g.opts.Now().Sub(st.OldestPending).Seconds()
	}
	writeJSON(w, http.StatusOK, body)
}

// filterOf reads destination, outcome, messageId and id from the query.
func filterOf(r *http.Request) (queue.DeadLetterFilter, error) {
	q := r.URL.Query()
	f := queue.DeadLetterFilter{Destination: q.Get("destination"), Outcome: q.Get("outcome"), MessageID: q.Get("messageId")}
	if id := q.Get("id"); id != "" {
		n, err := strconv.ParseUint(id, 10, 64)
		if err != nil {
			return f, err
		}
		f.ID = n
	}
	return f, nil
}

func (g *Gateway) adminDeadLetters(w http.ResponseWriter, r *http.Request) {
	f, err := filterOf(r)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid id: " + err.Error()})
		return
	}
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	letters, err := g.store.DeadLetters(f, limit)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
		return
	}
	// The list leaves out the bodies and results; fetch one for those.
	type summary struct {
		ID          uint64    `json:"id"`
		Destination string    `json:"destination"`
		MessageID   string    `json:"messageId"`
		Type        string    `json:"type"`
		Outcome     string    `json:"outcome"`
		Message     string    `json:"message"`
		Attempts    int       `json:"attempts"`
		DeadAt      time.Time `json:"deadAt"`
	}
	out := make([]summary, 0, len(letters))
	for _, d := range letters {
		out = append(out, summary{d.ID, d.Destination, d.MessageID, d.Type, d.Outcome, d.Message, d.Attempts, d.DeadAt})
	}
	writeJSON(w, http.StatusOK, map[string]any{"deadLetters": out})
}

func (g *Gateway) adminDeadLetter(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid dead letter id " + strconv.Quote(r.PathValue("id"))})
		return
	}
	letters, err := g.store.DeadLetters(queue.DeadLetterFilter{ID: id}, 1)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
		return
	}
	if len(letters) == 0 {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no dead letter with id " + r.PathValue("id")})
		return
	}
	writeJSON(w, http.StatusOK, letters[0])
}

// adminReplay replays the dead letters the query selects. Replaying all
// needs all=true, so an empty filter cannot replay everything by mistake.
func (g *Gateway) adminReplay(w http.ResponseWriter, r *http.Request) {
	f, err := filterOf(r)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid id: " + err.Error()})
		return
	}
	if f == (queue.DeadLetterFilter{}) && r.URL.Query().Get("all") != "true" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "no filter given; pass id, messageId, destination or outcome, or all=true to replay every dead letter"})
		return
	}
	// Replays usually follow a fix in the workspace, such as defining the
	// custom attributes that were missing, so the cached lists are stale.
	for name, d := range g.dests {
		if f.Destination == "" || f.Destination == name {
			d.client.ForgetAttributes()
		}
	}
	n, err := g.store.Replay(f)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
		return
	}
	g.log.Info("dead letters replayed", "count", n, "destination", f.Destination, "outcome", f.Outcome, "message_id", f.MessageID, "id", f.ID)
	writeJSON(w, http.StatusOK, map[string]int{"replayed": n})
}

func (g *Gateway) adminPause(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	d, ok := g.dests[name]
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no destination named " + strconv.Quote(name)})
		return
	}
	info := queue.PauseInfo{Reason: "paused by an operator", Since: g.opts.Now(), TokenHash: tokenHash(d)}
	if err := g.store.Pause(name, info); err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
		return
	}
	g.log.Warn("destination paused by an operator", "destination", name)
	writeJSON(w, http.StatusOK, map[string]any{"paused": name})
}

func (g *Gateway) adminResume(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if _, ok := g.dests[name]; !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no destination named " + strconv.Quote(name)})
		return
	}
	was, err := g.store.Resume(name)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
		return
	}
	g.log.Info("destination resumed by an operator", "destination", name, "was_paused", was)
	writeJSON(w, http.StatusOK, map[string]any{"resumed": name, "wasPaused": was})
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}
