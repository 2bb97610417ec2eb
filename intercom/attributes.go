package intercom

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/tidwall/gjson"
)

// Data attribute models whose custom attributes the policy checks.
const (
	ModelContact = "contact"
	ModelCompany = "company"
)

// attributeCache caches, per model, the names of the workspace's custom data
// attributes, as listed by GET /data_attributes?model=<model>.
type attributeCache struct {
	client *Client

	mu      sync.Mutex
	entries map[string]*attributeEntry
}

type attributeEntry struct {
	// fetchMu serialises list calls, so concurrent misses cause one call.
	fetchMu sync.Mutex

	mu sync.Mutex
	// names is replaced, never modified, so readers may keep a reference.
	names      map[string]bool
	fetched    time.Time
	generation int
}

// attributePlan is a request body after the policy was applied.
type attributePlan struct {
	body      []byte
	dropped   []string
	created   []string
	hasCustom bool
}

func newAttributeCache(c *Client) *attributeCache {
	return &attributeCache{client: c, entries: map[string]*attributeEntry{}}
}

func (a *attributeCache) entry(model string) *attributeEntry {
	a.mu.Lock()
	defer a.mu.Unlock()
	e, ok := a.entries[model]
	if !ok {
		e = &attributeEntry{}
		a.entries[model] = e
	}
	return e
}

// apply checks the body's custom attributes against the cached list and
// applies the policy. refresh forces a new list first. When the list call
// returns a non-200 status, the body is returned unchanged, so Intercom
// itself judges it. A list call without any HTTP response is an error.
func (a *attributeCache) apply(ctx context.Context, model string, body []byte, refresh bool) (attributePlan, error) {
	members, hasCustom := customAttributeMembers(body)
	plan := attributePlan{body: body, hasCustom: hasCustom}
	if len(members) == 0 {
		return plan, nil
	}

	defined, age, err := a.defined(ctx, model, refresh)
	if err != nil || defined == nil {
		return plan, err
	}
	undefined := undefinedNames(members, defined)
	if len(undefined) > 0 && !refresh && age >= DefaultAttributeRecheck {
		// The attribute may have been defined since the last list call.
		if defined, _, err = a.defined(ctx, model, true); err != nil || defined == nil {
			return plan, err
		}
		undefined = undefinedNames(members, defined)
	}
	if len(undefined) == 0 {
		return plan, nil
	}

	cfg := a.client.cfg
	event := AttributeEvent{Model: model, Policy: cfg.AttributePolicy, Undefined: undefined}
	defer func() { cfg.Observer.Attributes(event) }()

	switch cfg.AttributePolicy {
	case PolicyDrop:
		plan.body = removeCustomAttributes(body, toSet(undefined))
		plan.dropped = undefined
	case PolicyCreate:
		if err := a.create(ctx, model, members, undefined, &plan); err != nil {
			return plan, err
		}
	default:
		return plan, &UndefinedAttributeError{Model: model, Names: undefined}
	}
	event.Dropped, event.Created = plan.dropped, plan.created
	cfg.Logger.LogAttrs(ctx, slog.LevelInfo, "applied the custom attribute policy",
		slog.String("model", model), slog.String("policy", cfg.AttributePolicy),
		slog.Any("dropped", plan.dropped), slog.Any("created", plan.created))
	return plan, nil
}

// create defines each undefined attribute whose type can be inferred and
// drops the others (null, objects, arrays).
func (a *attributeCache) create(ctx context.Context, model string, members []attributeMember, undefined []string, plan *attributePlan) error {
	values := map[string]gjson.Result{}
	for _, m := range members {
		values[m.name] = m.value
	}
	var uninferable []string
	for _, name := range undefined {
		dataType, ok := inferDataType(values[name])
		if !ok {
			uninferable = append(uninferable, name)
			continue
		}
		if err := a.createOne(ctx, model, name, dataType); err != nil {
			return err
		}
		plan.created = append(plan.created, name)
	}
	if len(uninferable) > 0 {
		plan.body = removeCustomAttributes(plan.body, toSet(uninferable))
		plan.dropped = uninferable
	}
	return nil
}

// createOne sends POST /data_attributes. A response saying the name already
// exists counts as success, because another gateway may have created it.
func (a *attributeCache) createOne(ctx context.Context, model, name, dataType string) error {
	body, err := json.Marshal(map[string]string{"name": name, "model": model, "data_type": dataType})
	if err != nil {
		return fmt.Errorf("encode data attribute %q: %w", name, err)
	}
	target, err := a.client.validate(Request{Method: http.MethodPost, Path: "/data_attributes", Body: body})
	if err != nil {
		return err
	}
	resp, err := a.client.send(ctx, http.MethodPost, target, body)
	if err != nil {
		return err
	}
	message := string(truncateBytes(resp.Body, 200))
	if list, perr := ParseError(resp.Body); perr == nil {
		message = list.Messages()
	}
	switch {
	case resp.Status == http.StatusOK:
	case resp.Status == http.StatusBadRequest && strings.Contains(message, "You already have"):
	default:
		return &AttributeCreateError{Model: model, Name: name, DataType: dataType, Status: resp.Status, Message: message}
	}
	a.add(model, name)
	return nil
}

// defined returns the defined custom attribute names of model and the
// cache's age. names is nil when the list call returned a non-200 status.
func (a *attributeCache) defined(ctx context.Context, model string, refresh bool) (names map[string]bool, age time.Duration, err error) {
	e := a.entry(model)
	now := a.client.cfg.Clock.Now()

	e.mu.Lock()
	generation := e.generation
	if e.names != nil && !refresh && now.Sub(e.fetched) < a.client.cfg.AttributeCacheTTL {
		names, age = e.names, now.Sub(e.fetched)
		e.mu.Unlock()
		return names, age, nil
	}
	e.mu.Unlock()

	e.fetchMu.Lock()
	defer e.fetchMu.Unlock()
	e.mu.Lock()
	if e.generation != generation && e.names != nil {
		// Another caller fetched the list while this one waited.
		names, age = e.names, now.Sub(e.fetched)
		e.mu.Unlock()
		return names, age, nil
	}
	e.mu.Unlock()

	names, err = a.fetch(ctx, model)
	if err != nil || names == nil {
		return nil, 0, err
	}
	e.mu.Lock()
	e.names, e.fetched = names, a.client.cfg.Clock.Now()
	e.generation++
	e.mu.Unlock()
	return names, 0, nil
}

// fetch lists the custom, unarchived data attributes of model.
func (a *attributeCache) fetch(ctx context.Context, model string) (map[string]bool, error) {
	path := "/data_attributes?model=" + model
	target, err := a.client.validate(Request{Method: http.MethodGet, Path: path})
	if err != nil {
		return nil, err
	}
	resp, err := a.client.send(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, err
	}
	data := gjson.GetBytes(resp.Body, "data")
	if resp.Status != http.StatusOK || !data.IsArray() {
		a.client.cfg.Logger.LogAttrs(ctx, slog.LevelWarn, "could not list Intercom data attributes; sending custom attributes unchecked",
			slog.String("model", model), slog.Int("status", resp.Status))
		return nil, nil
	}
	names := map[string]bool{}
	data.ForEach(func(_, item gjson.Result) bool {
		if item.Get("custom").Bool() && !item.Get("archived").Bool() {
			names[item.Get("name").String()] = true
		}
		return true
	})
	return names, nil
}

// add records a newly created attribute without a list call.
func (a *attributeCache) add(model, name string) {
	e := a.entry(model)
	e.mu.Lock()
	defer e.mu.Unlock()
	names := make(map[string]bool, len(e.names)+1)
	for n := range e.names {
		names[n] = true
	}
	names[name] = true
	e.names = names
}

func undefinedNames(members []attributeMember, defined map[string]bool) []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range members {
		if defined[m.name] || seen[m.name] {
			continue
		}
		seen[m.name] = true
		out = append(out, m.name)
	}
	return out
}

func toSet(names []string) map[string]bool {
	set := make(map[string]bool, len(names))
	for _, n := range names {
		set[n] = true
	}
	return set
}

func truncateBytes(b []byte, n int) []byte {
	if len(b) <= n {
		return b
	}
	return b[:n]
}

// forget drops every cached list, so the next check lists the workspace's
// attributes again.
func (a *attributeCache) forget() {
	a.mu.Lock()
	entries := make([]*attributeEntry, 0, len(a.entries))
	for _, e := range a.entries {
		entries = append(entries, e)
	}
	a.mu.Unlock()
	for _, e := range entries {
		e.mu.Lock()
		e.names = nil
		e.generation++
		e.mu.Unlock()
	}
}
