package host

import (
	"bytes"
	"context"
	"testing"

	"github.com/intercom-gateway/gateway/mapping"
)

// TestTokenNeverReachesPlugin delivers events over real HTTP with a token
// the fake Intercom checks, then scans every plugin input and the whole
// linear memory of the instance for the token. The fake server also echoes
// the token in its response bodies, which the host must redact.
func TestTokenNeverReachesPlugin(t *testing.T) {
	for _, echo := range []bool{false, true} {
		name := "plain responses"
		if echo {
			name = "responses echo the token"
		}
		t.Run(name, func(t *testing.T) {
			f := newFakeIntercom(t)
			f.echoToken = echo
			p := load(t, sharedRuntime(t), pluginWasm(t), PluginConfig{MaxInstances: 1})
			d := &Deliverer{
				Plugin:  p,
				Sender:  &httpSender{base: f.srv.URL, token: testToken},
				Secrets: [][]byte{[]byte(testToken)},
			}
			rec := &recorder{step: p.StepFunc(context.Background())}
			for _, event := range [][]byte{identifyEvent, trackEvent} {
				x := mapping.Exchange{Step: rec.run, Send: d.send}
				res := x.Run(context.Background(), event, testSettings, 1733337600)
				if res.Outcome != mapping.OutcomeDelivered {
					t.Fatalf("outcome %s: %s", res.Outcome, res.Message)
				}
			}

			requests, badAuth := f.received()
			if len(requests) != 3 {
				t.Errorf("Intercom received %v, want the identify's search and create and the track's event", requests)
			}
			if badAuth != 0 {
				t.Errorf("%d requests lacked the bearer token, so the test does not prove it was in use", badAuth)
			}
			token := []byte(testToken)
			for i, in := range rec.inputs {
				if bytes.Contains(in, token) {
					t.Errorf("step input %d contains the token: %s", i+1, in)
				}
			}
			if echo && !bytes.Contains(bytes.Join(rec.inputs, nil), redacted) {
				t.Error("no step input shows the redaction, so the echoed token was not in the responses")
			}

			in, err := p.pool.get(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			defer p.pool.put(in)
			memory, ok := in.mem.Read(0, in.mem.Size())
			if !ok || len(memory) == 0 {
				t.Fatal("cannot read the instance's linear memory")
			}
			if bytes.Contains(memory, token) {
				t.Errorf("the instance's %d bytes of linear memory contain the token", len(memory))
			}
			// The scan finds what the guest saw, because the last request
			// body is still in the guest's output buffer.
			if !bytes.Contains(memory, []byte(`"event_name":"Signed Up"`)) {
				t.Error("the memory scan does not find the last step's output, so it may not be scanning the right memory")
			}
		})
	}
}
