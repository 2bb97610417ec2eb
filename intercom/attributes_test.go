package intercom_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/intercom-gateway/gateway/intercom"
	"github.com/intercom-gateway/gateway/intercom/sim"
)

func TestPolicyReject(t *testing.T) {
	s := newSetup(t, setupOptions{})
	_, err := s.client.Do(context.Background(), intercom.Request{
		Method: "POST", Path: "/contacts",
		Body: []byte(`{"email":"a@example.com","custom_attributes":{"plan":"pro","address_state":"CA","isOpenSource":true}}`),
	})
	var undefined *intercom.UndefinedAttributeError
	if !errors.As(err, &undefined) {
		t.Fatalf("Do() error = %v, want *UndefinedAttributeError", err)
	}
	if undefined.Model != "contact" || !slices.Equal(undefined.Names, []string{"address_state", "isOpenSource"}) {
		t.Errorf("error = %+v, want model contact and both undefined names", undefined)
	}
	for _, part := range []string{`"address_state"`, `"isOpenSource"`, "POST /data_attributes", `"drop"`, `"create"`} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("message %q lacks %q", err.Error(), part)
		}
	}
	if n := len(s.sim.Contacts()); n != 0 {
		t.Errorf("reject policy still sent the contact: %d stored", n)
	}
}

func TestPolicyDrop(t *testing.T) {
	s := newSetup(t, setupOptions{config: intercom.Config{AttributePolicy: intercom.PolicyDrop}})
	resp := s.do("POST", "/contacts", `{"email":"a@example.com","custom_attributes":{"plan":"pro","address_state":"CA","address_city":"SF"}}`)
	if resp.Status != http.StatusOK {
		t.Fatalf("status %d, body %s", resp.Status, resp.Body)
	}
	if !slices.Equal(resp.Dropped, []string{"address_state"}) || len(resp.Created) != 0 {
		t.Errorf("Dropped %v Created %v, want [address_state] and none", resp.Dropped, resp.Created)
	}
	stored := s.sim.Contacts()[0].CustomAttributes
	if stored["plan"] != "pro" || stored["address_city"] != "SF" || stored["address_state"] != nil {
		t.Errorf("stored custom attributes = %v", stored)
	}
	events := s.events.snapshot().attributes
	if len(events) != 1 || events[0].Policy != "drop" || !slices.Equal(events[0].Dropped, []string{"address_state"}) {
		t.Errorf("attribute events = %+v", events)
	}
}

func TestPolicyDropKeepsSpecialNames(t *testing.T) {
	s := newSetup(t, setupOptions{config: intercom.Config{AttributePolicy: intercom.PolicyDrop}})
	body := `{"company_id":"c1","name":"Acme","custom_attributes":{"a.b":1,"*":2,"#":3,"":4,"x|y":5,"@this":6,"back\\slash":7,"tier":"gold","q?":8}}`
	resp := s.do("POST", "/companies", body)
	if resp.Status != http.StatusOK {
		t.Fatalf("status %d, body %s", resp.Status, resp.Body)
	}
	want := []string{"a.b", "*", "#", "", "x|y", "@this", `back\slash`, "q?"}
	if !slices.Equal(resp.Dropped, want) {
		t.Errorf("Dropped = %q, want %q", resp.Dropped, want)
	}
	c, _ := s.sim.CompanyByCompanyID("c1")
	if len(c.CustomAttributes) != 1 || c.CustomAttributes["tier"] != "gold" || c.Name != "Acme" {
		t.Errorf("stored company = %+v, want only tier kept", c)
	}
}

func TestPolicyCreate(t *testing.T) {
	s := newSetup(t, setupOptions{config: intercom.Config{AttributePolicy: intercom.PolicyCreate}})
	body := `{"email":"a@example.com","custom_attributes":{"plan":"pro","nickname":"ada","seats":3,"score":4.5,"vip":true,"renewal":"2024-05-01T10:00:00Z","cleared":null}}`
	resp := s.do("POST", "/contacts", body)
	if resp.Status != http.StatusOK {
		t.Fatalf("status %d, body %s", resp.Status, resp.Body)
	}
	if want := []string{"nickname", "seats", "score", "vip", "renewal"}; !slices.Equal(resp.Created, want) {
		t.Errorf("Created = %v, want %v", resp.Created, want)
	}
	if !slices.Equal(resp.Dropped, []string{"cleared"}) {
		t.Errorf("Dropped = %v, want [cleared] (null has no type to create)", resp.Dropped)
	}
	types := map[string]string{}
	for _, a := range s.sim.DataAttributes() {
		if a.Custom {
			types[a.Name] = a.DataType
		}
	}
	wantTypes := map[string]string{"nickname": "string", "seats": "integer", "score": "float", "vip": "boolean", "renewal": "date"}
	for name, want := range wantTypes {
		if types[name] != want {
			t.Errorf("created %s as %q, want %q", name, types[name], want)
		}
	}

	// The cache now contains the new attributes, so a second write creates nothing.
	again := s.do("PUT", "/contacts/"+s.sim.Contacts()[0].ID, `{"custom_attributes":{"seats":4}}`)
	if again.Status != http.StatusOK || len(again.Created) != 0 {
		t.Errorf("second write: status %d, Created %v", again.Status, again.Created)
	}
}

func TestPolicyCreateFailure(t *testing.T) {
	s := newSetup(t, setupOptions{config: intercom.Config{AttributePolicy: intercom.PolicyCreate}})
	_, err := s.client.Do(context.Background(), intercom.Request{
		Method: "POST", Path: "/contacts",
		Body: []byte(`{"email":"a@example.com","custom_attributes":{"address.city":"Paris"}}`),
	})
	var createErr *intercom.AttributeCreateError
	if !errors.As(err, &createErr) || createErr.Status != http.StatusBadRequest || !strings.Contains(createErr.Message, "alphanumeric") {
		t.Fatalf("error = %v, want *AttributeCreateError with Intercom's naming message", err)
	}
	if n := len(s.sim.Contacts()); n != 0 {
		t.Errorf("contact sent although its attribute could not be created")
	}
}

// staleAttributeList makes GET /data_attributes list an extra custom
// attribute "ghost" that Intercom does not have, either once or always.
func staleAttributeList(always bool) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		var served atomic.Int32
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodGet || r.URL.Path != "/data_attributes" || (!always && served.Add(1) > 1) {
				next.ServeHTTP(w, r)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"type":"list","data":[` +
				`{"type":"data_attribute","name":"plan","model":"contact","custom":true,"archived":false,"data_type":"string"},` +
				`{"type":"data_attribute","name":"ghost","model":"contact","custom":true,"archived":false,"data_type":"string"}]}`))
		})
	}
}

func TestRefreshOnUndefinedAttributeError(t *testing.T) {
	s := newSetup(t, setupOptions{wrap: staleAttributeList(false), config: intercom.Config{AttributePolicy: intercom.PolicyDrop}})
	resp := s.do("POST", "/contacts", `{"email":"a@example.com","custom_attributes":{"plan":"pro","ghost":"boo"}}`)
	if resp.Status != http.StatusOK || resp.Attempts != 2 {
		t.Fatalf("status %d after %d attempts, want 200 after the 400 and one resend", resp.Status, resp.Attempts)
	}
	if !slices.Equal(resp.Dropped, []string{"ghost"}) {
		t.Errorf("Dropped = %v, want [ghost]", resp.Dropped)
	}

	reject := newSetup(t, setupOptions{wrap: staleAttributeList(false)})
	_, err := reject.client.Do(context.Background(), intercom.Request{Method: "POST", Path: "/contacts",
		Body: []byte(`{"email":"a@example.com","custom_attributes":{"ghost":"boo"}}`)})
	var undefined *intercom.UndefinedAttributeError
	if !errors.As(err, &undefined) || !slices.Equal(undefined.Names, []string{"ghost"}) {
		t.Errorf("reject after refresh: error = %v, want *UndefinedAttributeError for ghost", err)
	}
}

func TestRefreshHappensOnce(t *testing.T) {
	s := newSetup(t, setupOptions{wrap: staleAttributeList(true), config: intercom.Config{AttributePolicy: intercom.PolicyDrop}})
	resp := s.do("POST", "/contacts", `{"email":"a@example.com","custom_attributes":{"ghost":"boo"}}`)
	if resp.Status != http.StatusBadRequest || resp.Attempts != 2 {
		t.Errorf("status %d after %d attempts, want Intercom's 400 after exactly one resend", resp.Status, resp.Attempts)
	}
	list, err := intercom.ParseError(resp.Body)
	if err != nil || !slices.Equal(list.UndefinedAttributes(), []string{"ghost"}) {
		t.Errorf("body %s: undefined attributes = %v, %v", resp.Body, list, err)
	}
}

func TestAttributeListUnavailable(t *testing.T) {
	forbidList := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/data_attributes" {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusInternalServerError)
				_, _ = w.Write([]byte(`{"type":"error.list","request_id":null,"errors":[{"code":"server_error","message":"Unknown server error"}]}`))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	s := newSetup(t, setupOptions{wrap: forbidList, config: intercom.Config{MaxRetries: -1}})
	resp := s.do("POST", "/contacts", `{"email":"a@example.com","custom_attributes":{"plan":"pro","nope":1}}`)
	if resp.Status != http.StatusBadRequest {
		t.Fatalf("status %d, want Intercom's own 400 for the unchecked body", resp.Status)
	}
	if !strings.Contains(string(resp.Body), "Custom attribute 'nope' does not exist") {
		t.Errorf("body = %s", resp.Body)
	}
}

func TestPolicyIgnoresOtherRequests(t *testing.T) {
	s := newSetup(t, setupOptions{sim: sim.Options{}})
	s.do("POST", "/contacts", `{"external_id":"u1"}`)
	resp := s.do("POST", "/events", `{"event_name":"x","created_at":1700000000,"user_id":"u1","metadata":{"custom_attributes":"not checked"}}`)
	if resp.Status != http.StatusAccepted {
		t.Errorf("event: status %d, body %s", resp.Status, resp.Body)
	}
	for _, a := range s.events.snapshot().attempts {
		if strings.HasPrefix(a.Route, "GET /data_attributes") {
			t.Errorf("a request without custom attributes listed data attributes")
		}
	}
}

func TestForgetAttributesListsAgain(t *testing.T) {
	var lists atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/data_attributes" {
			n := lists.Add(1)
			data := `[]`
			if n > 1 {
				data = `[{"type":"data_attribute","name":"tier","custom":true,"archived":false,"api_writable":true}]`
			}
			fmt.Fprintf(w, `{"type":"list","data":%s}`, data)
			return
		}
		fmt.Fprint(w, `{"type":"contact","id":"c1"}`)
	}))
	defer srv.Close()
	c, err := intercom.New(intercom.Config{Token: "t", BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"email":"a@example.com","custom_attributes":{"tier":"gold"}}`)
	var undefined *intercom.UndefinedAttributeError
	if _, err := c.Do(context.Background(), intercom.Request{Method: "POST", Path: "/contacts", Body: body}); !errors.As(err, &undefined) {
		t.Fatalf("first Do = %v, want an undefined attribute error", err)
	}
	c.ForgetAttributes()
	resp, err := c.Do(context.Background(), intercom.Request{Method: "POST", Path: "/contacts", Body: body})
	if err != nil || resp.Status != 200 {
		t.Fatalf("Do after ForgetAttributes = %v, %v; want the new list to allow tier", resp.Status, err)
	}
	if lists.Load() != 2 {
		t.Errorf("listed the attributes %d times, want 2", lists.Load())
	}
}
