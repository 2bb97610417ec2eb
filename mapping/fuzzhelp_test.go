package mapping_test

import (
	"context"

	"github.com/intercom-gateway/gateway/mapping"
)

// answerAll answers every request the way Intercom answers a success:
// searches find one contact, writes return an object with an id.
func answerAll(_ context.Context, reqs []mapping.Request) []mapping.Response {
	out := make([]mapping.Response, len(reqs))
	for i, r := range reqs {
		switch {
		case r.Path == "/contacts/search":
			out[i] = mapping.Response{Status: 200, Body: []byte(`{"type":"list","data":[{"type":"contact","id":"c1","external_id":null}]}`)}
		case r.Path == "/events":
			out[i] = mapping.Response{Status: 202}
		default:
			out[i] = mapping.Response{Status: 200, Body: []byte(`{"type":"company","id":"co1"}`)}
		}
	}
	return out
}
