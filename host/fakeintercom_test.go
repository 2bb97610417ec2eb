package host

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/intercom-gateway/gateway/mapping"
)

// testToken is the access token the tests' Sender holds. It must never
// reach the plugin.
const testToken = "dG9rOmFjY2Vzcy10b2tlbi1mb3ItdGVzdHMtb25seQ=="

// fakeIntercom is a loopback HTTP server that responds to the calls of
// identify, track and group as Intercom 2.10 does for a workspace without
// the contact. It records the requests it receives.
type fakeIntercom struct {
	srv *httptest.Server

	mu       sync.Mutex
	requests []string
	badAuth  int
	// echoToken makes every response body carry the bearer token of the
	// request, to test that the host removes it.
	echoToken bool
}

func newFakeIntercom(t testing.TB) *fakeIntercom {
	t.Helper()
	f := &fakeIntercom{}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeIntercom) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	auth := r.Header.Get("Authorization")
	f.mu.Lock()
	f.requests = append(f.requests, r.Method+" "+r.URL.RequestURI())
	if auth != "Bearer "+testToken {
		f.badAuth++
	}
	echo := f.echoToken
	f.mu.Unlock()

	w.Header().Set("Content-Type", "application/json")
	note := ""
	if echo {
		note = fmt.Sprintf(`,"debug":"request authorised with %s"`, auth)
	}
	path := r.URL.Path
	switch {
	case r.Method == "POST" && path == "/contacts/search":
		fmt.Fprintf(w, `{"type":"list","data":[],"total_count":0%s}`, note)
	case r.Method == "POST" && path == "/contacts":
		fmt.Fprintf(w, `{"type":"contact","id":"c-%d","external_id":"x","email":"e"%s}`, len(body), note)
	case r.Method == "PUT" && strings.HasPrefix(path, "/contacts/"):
		fmt.Fprintf(w, `{"type":"contact","id":"%s"%s}`, strings.TrimPrefix(path, "/contacts/"), note)
	case r.Method == "POST" && path == "/events":
		w.WriteHeader(http.StatusAccepted)
	default:
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, `{"type":"error.list","errors":[{"code":"not_found","message":"no route %s %s"}]%s}`, r.Method, path, note)
	}
}

// received returns the requests so far and how many lacked the token.
func (f *fakeIntercom) received() ([]string, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.requests...), f.badAuth
}

// httpSender is a minimal Sender over HTTP, in the role the Intercom
// client plays in the gateway: it holds the base URL and the token.
type httpSender struct {
	base  string
	token string
}

func (s *httpSender) Send(ctx context.Context, req mapping.Request) (mapping.Response, error) {
	url, err := JoinURL(s.base, req.Method, req.Path)
	if err != nil {
		return mapping.Response{}, err
	}
	var body io.Reader
	if len(req.Body) > 0 {
		body = bytes.NewReader(req.Body)
	}
	hreq, err := http.NewRequestWithContext(ctx, req.Method, url, body)
	if err != nil {
		return mapping.Response{}, err
	}
	hreq.Header.Set("Authorization", "Bearer "+s.token)
	hreq.Header.Set("Intercom-Version", "2.10")
	hreq.Header.Set("Accept", "application/json")
	if body != nil {
		hreq.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(hreq)
	if err != nil {
		return mapping.Response{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return mapping.Response{}, err
	}
	return mapping.Response{Status: resp.StatusCode, Body: data}, nil
}

// Events the end-to-end tests deliver. Against fakeIntercom each ends
// delivered.
var (
	identifyEvent = []byte(`{"type":"identify","userId":"u-7","traits":{"email":"grace@example.com","name":"Grace Hopper","rank":"admiral"}}`)
	trackEvent    = []byte(`{"type":"track","userId":"u-7","event":"Signed Up","properties":{"plan":"pro"}}`)
	testSettings  = []byte(`{"apiServer":"eu"}`)
)

// deliverNormal delivers identifyEvent through p and fails the test unless
// it ends delivered.
func deliverNormal(t *testing.T, p *Plugin, f *fakeIntercom) {
	t.Helper()
	d := Deliverer{Plugin: p, Sender: &httpSender{base: f.srv.URL, token: testToken}, Secrets: [][]byte{[]byte(testToken)}}
	res := d.Deliver(context.Background(), identifyEvent, testSettings, 1733337600)
	if res.Outcome != mapping.OutcomeDelivered {
		t.Fatalf("a normal identify ended %s: %s", res.Outcome, res.Message)
	}
}
