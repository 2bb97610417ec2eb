package intercom

import (
	"encoding/json"
	"testing"
	"time"
)

func TestRemoveCustomAttributes(t *testing.T) {
	tests := []struct {
		name, body string
		remove     []string
		want       string
	}{
		{"drops named keys", `{"email":"a@x","custom_attributes":{"keep":1,"drop":2}}`, []string{"drop"}, `{"email":"a@x","custom_attributes":{"keep":1}}`},
		{"path syntax in names", `{"custom_attributes":{"a.b":1,"a":{"b":2},"*":3,"#":4,"":5,"x|y":6,"@this":7,"q?":8,"k":9}}`,
			[]string{"a.b", "*", "#", "", "x|y", "@this", "q?"}, `{"custom_attributes":{"a":{"b":2},"k":9}}`},
		{"escaped key", `{"custom_attributes":{"\u0041b":1,"c\"d":2,"e":3}}`, []string{"Ab", `c"d`}, `{"custom_attributes":{"e":3}}`},
		{"all dropped", `{"custom_attributes":{"a":1}}`, []string{"a"}, `{"custom_attributes":{}}`},
		{"other members untouched", `{"name":"x  y","custom_attributes":{"a":1},"n":1.50}`, []string{"a"}, `{"name":"x  y","custom_attributes":{},"n":1.50}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := removeCustomAttributes([]byte(tt.body), toSet(tt.remove))
			if string(got) != tt.want {
				t.Errorf("removeCustomAttributes() = %s, want %s", got, tt.want)
			}
			if !json.Valid(got) {
				t.Errorf("result is not valid JSON: %s", got)
			}
		})
	}
}

func TestCustomAttributeMembers(t *testing.T) {
	members, found := customAttributeMembers([]byte(`{"custom_attributes":{"a.b":1,"*":"x"}}`))
	if !found || len(members) != 2 || members[0].name != "a.b" || members[1].name != "*" || members[1].value.Str != "x" {
		t.Errorf("members = %+v, found %v", members, found)
	}
	for _, body := range []string{`{}`, `{"custom_attributes":null}`, `{"custom_attributes":[1]}`, `[1]`, `"x"`} {
		if _, found := customAttributeMembers([]byte(body)); found {
			t.Errorf("customAttributeMembers(%s) found an object", body)
		}
	}
}

func TestBackoffGrowsAndCaps(t *testing.T) {
	c, err := New(Config{Token: "t", BaseURL: "http://127.0.0.1:1", RetryBaseDelay: 100 * time.Millisecond, RetryMaxDelay: 400 * time.Millisecond,
		Jitter: func(max time.Duration) time.Duration { return max - 1 }})
	if err != nil {
		t.Fatal(err)
	}
	// With maximal jitter the wait is just under the ceiling min(base*2^(n-1), max).
	want := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 400 * time.Millisecond}
	for i, w := range want {
		if got := c.backoff(i+1, nil); got != w {
			t.Errorf("backoff(%d) = %v, want %v", i+1, got, w)
		}
	}
}
