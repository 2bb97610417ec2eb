package mapping_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/intercom-gateway/gateway/internal/conformance"
	"github.com/intercom-gateway/gateway/mapping"
)

// TestConformance runs recorded cases through the native mapping, answering
// each planned call from the case's mocks, and compares the calls with the
// recorded ones. It prints one line per case.
func TestConformance(t *testing.T) {
	conformance.RunFolder(t, "..", "conformance", func(c conformance.Case) string {
		got, outcome := runConformanceCase(c)
		if diff := conformance.Diff(got, c.Expect); diff != "" {
			return fmt.Sprintf("(outcome %s) %s", outcome, diff)
		}
		return ""
	})
}

// runConformanceCase responds to each call with the first unused mock for the
// same method and path, or 404 when there is none.
func runConformanceCase(c conformance.Case) ([]conformance.Call, mapping.Outcome) {
	used := make([]bool, len(c.Mocks))
	send := func(_ context.Context, reqs []mapping.Request) []mapping.Response {
		out := make([]mapping.Response, len(reqs))
		for i, r := range reqs {
			path, _ := conformance.NormalizePath(r.Path)
			out[i] = mapping.Response{Status: 404, Body: json.RawMessage(`{"type":"error.list","errors":[{"code":"not_found","message":"no recorded answer"}]}`)}
			for j, m := range c.Mocks {
				if !used[j] && m.Request.Method == r.Method && m.Request.Path == path {
					used[j] = true
					out[i] = mapping.Response{Status: m.Status, Body: m.Body}
					break
				}
			}
		}
		return out
	}
	res := mapping.Exchange{Step: mapping.NativeStep, Send: send}.Run(context.Background(), c.Event, c.Settings, 1733337600)
	calls := make([]conformance.Call, 0, len(res.Calls))
	for _, call := range res.Calls {
		path, _ := conformance.NormalizePath(call.Request.Path)
		calls = append(calls, conformance.Call{Method: call.Request.Method, Path: path, Body: call.Request.Body})
	}
	return calls, res.Outcome
}
