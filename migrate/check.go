package migrate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/gjson"

	"github.com/intercom-gateway/gateway/host"
	"github.com/intercom-gateway/gateway/ingest"
	"github.com/intercom-gateway/gateway/mapping"
)

// Input is the files Check reads. The names are only shown in the report.
type Input struct {
	SettingsName string
	Settings     []byte
	EventsName   string
	Events       []byte
}

// Options configures Check.
type Options struct {
	// Plugin is the mapping plugin delivery uses. Required.
	Plugin *host.Plugin
	// Workspace is the workspace to compare the attributes with, from
	// FetchWorkspace. With nil, their state is unknown.
	Workspace *Workspace
	// Region is the region the check was given, or "". It fills a missing
	// apiServer and must agree with a present one.
	Region string
	// Now is the time passed to the mapping for events without a
	// timestamp. Zero means time.Now.
	Now time.Time
}

// Check reads the old settings and the sample events, runs every event
// through the plugin against an in-memory workspace and returns the
// report. The error is for input that cannot be read at all, such as a
// settings file that is not JSON. A broken line of the events file is
// reported in Report.Input.Errors instead.
func Check(ctx context.Context, in Input, opts Options) (*Report, error) {
	if opts.Plugin == nil {
		return nil, errors.New("migrate: Options.Plugin is nil; load the mapping plugin first")
	}
	old, err := ParseSettings(in.Settings)
	if err != nil {
		return nil, fmt.Errorf("settings file %s: %w", in.SettingsName, err)
	}
	file, err := ParseEvents(in.Events)
	if err != nil {
		return nil, fmt.Errorf("events file %s: %w", in.EventsName, err)
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}

	plan := MigrateSettings(old, opts.Region)
	r := &Report{
		Input: InputSummary{
			Settings: in.SettingsName, SettingsFormat: old.Format,
			DestinationID: old.DestinationID, DestinationName: old.DestinationName,
			Events: in.EventsName, EventsFormat: file.Format, Errors: file.Errors,
		},
		Settings:        plan,
		workspace:       opts.Workspace,
		settingProblems: plan.Problems,
	}
	if err := r.runEvents(ctx, opts.Plugin, file.Events, plan, now); err != nil {
		return nil, err
	}
	r.judge()
	return r, nil
}

// eventRun accumulates what the dry runs of the events show.
type eventRun struct {
	counts   map[string]*TypeCount
	attrs    attributeCollector
	nested   nestedCollector
	problems findingSet
	legacy   findingSet
	notSent  findingSet
	warnings findingSet
}

// runEvents runs each event through the plugin, in file order, against
// one dry-run workspace shared by the whole sample.
func (r *Report) runEvents(ctx context.Context, plugin *host.Plugin, events []SampleEvent, plan SettingsPlan, now time.Time) error {
	settings, err := json.Marshal(plan.New)
	if err != nil {
		return fmt.Errorf("encode the new settings: %w", err)
	}
	deliverer := host.Deliverer{Plugin: plugin, Sender: newDryRunWorkspace()}
	run := eventRun{counts: map[string]*TypeCount{}}

	for _, se := range events {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("the check was interrupted after %d of %d events: %w", r.Events.Total, len(events), err)
		}
		r.Events.Total++
		ev, err := ingest.Normalize(se.Raw, "", now)
		if err != nil {
			run.count(rawType(se.Raw)).Rejected++
			run.problems.add(KindIngestRejected, "events", "the ingestion API rejects the event: "+err.Error(), se.Label)
			continue
		}
		count := run.count(ev.Type)
		if !ev.Sent() {
			count.NotSent++
			run.notSent.add(KindNotSent, ev.Type+" events", "the gateway accepts "+ev.Type+" events but does not send them to Intercom; only identify, track and group are delivered", se.Label)
			continue
		}

		res := deliverer.Deliver(ctx, ev.Body, settings, now.Unix())
		switch res.Outcome {
		case mapping.OutcomeDelivered:
			count.Delivered++
		case mapping.OutcomeInvalidEvent:
			count.Invalid++
			run.problems.add(KindInvalidEvent, ev.Type+" events", res.Message, se.Label)
		default:
			count.Failed++
			run.problems.add(KindDryRunFailed, ev.Type+" events", "the dry run ended "+string(res.Outcome)+": "+res.Message, se.Label)
		}
		for _, w := range res.Warnings {
			run.warnings.add(KindMappingWarning, ev.Type+" events", w, se.Label)
		}
		run.attrs.addEvent(se.Label, res.Calls)
		run.legacyFindings(se.Label, ev, res, plan.UpdateLastRequestAt)
	}

	r.Attributes = run.attrs.list()
	r.Events.ByType = run.typeCounts()
	r.eventProblems = run.problems.list()
	r.eventWarnings = concat(run.legacy.list(), run.nested.findings(), run.notSent.list(), run.warnings.list())
	return nil
}

// legacyFindings records what one event relied on from API 1.4.
func (run *eventRun) legacyFindings(label string, ev ingest.Event, res mapping.Result, updateLastRequestAt bool) {
	root := gjson.ParseBytes(ev.Body)
	if path := findLegacyKey(root, "", 0); path != "" {
		msg := "API 2.10 has no update_last_request_at, and Intercom's last seen time moves only with the last_seen_at an event sends; send lastSeenAt (ISO 8601 or Unix seconds) in the identify traits instead"
		if strings.HasPrefix(path, "traits.") || strings.HasPrefix(path, "context.traits.") {
			msg += ". The gateway sends this trait as a custom attribute, which fails unless defined, so remove it from the events"
		}
		run.legacy.add(KindLastRequestAt, "event key "+strconv.Quote(path), msg, label)
	}
	if ev.Type == "group" {
		run.nested.addEvent(label, modelCompany, []gjson.Result{root.Get("traits")}, nil, res.Calls)
		return
	}
	if ev.Type != "identify" {
		return
	}

	if updateLastRequestAt && res.Outcome == mapping.OutcomeDelivered && !sendsLastSeen(res.Calls) {
		run.legacy.add(KindLastSeen, "identify events", "the old settings had updateLastRequestAt on, so API 1.4 marked each identified user as seen now; these events send no lastSeenAt, so Intercom's last seen time stays where it is. Send lastSeenAt in the traits", label)
	}
	for _, call := range res.Calls {
		if call.Request.Method == "POST" && call.Request.Path == "/companies" {
			run.legacy.add(KindUserCompany, "identify events with traits.company", "API 1.4 took the company inside the user; API 2.10 needs a separate company write (POST /companies) and an attach (POST /contacts/{id}/companies), which the gateway plans. The company's custom attributes must be defined as company attributes", label)
			break
		}
	}
	sections := []gjson.Result{root.Get("traits"), root.Get("context.traits")}
	for _, section := range sections {
		if companies := section.Get("companies"); nonEmptyContainer(companies) {
			run.legacy.add(KindUserCompanies, "identify events with a companies list", "API 1.4 created and attached each company of the list; the gateway does not, it flattens the list into contact custom attributes such as companies_0_name, which fail unless defined. Send one company as traits.company, or a group call per company", label)
			break
		}
	}
	if mapped := root.Get("context.mappedToDestination"); mapped.Type != gjson.True && mapped.String() != "true" {
		run.nested.addEvent(label, modelContact, sections, map[string]bool{"company": true, "companies": true}, res.Calls)
	}
}

// sendsLastSeen reports whether a planned contact write sets last_seen_at.
func sendsLastSeen(calls []mapping.Call) bool {
	for _, call := range calls {
		if writeModel(call.Request.Method, call.Request.Path) == modelContact && gjson.GetBytes(call.Request.Body, "last_seen_at").Exists() {
			return true
		}
	}
	return false
}

func (run *eventRun) count(eventType string) *TypeCount {
	c, ok := run.counts[eventType]
	if !ok {
		c = &TypeCount{Type: eventType}
		run.counts[eventType] = c
	}
	c.Events++
	return c
}

// typeOrder sorts the event types: the delivered ones first, then the
// ones the gateway accepts without sending, then any other.
var typeOrder = map[string]int{"identify": 0, "track": 1, "group": 2, "page": 3, "screen": 4, "alias": 5}

func (run *eventRun) typeCounts() []TypeCount {
	out := make([]TypeCount, 0, len(run.counts))
	for _, c := range run.counts {
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool {
		oi, iok := typeOrder[out[i].Type]
		oj, jok := typeOrder[out[j].Type]
		switch {
		case iok && jok:
			return oi < oj
		case iok != jok:
			return iok
		}
		return out[i].Type < out[j].Type
	})
	return out
}

// rawType names the type of an event the ingestion API rejected.
func rawType(raw []byte) string {
	if t := gjson.GetBytes(raw, "type"); t.Type == gjson.String && t.Str != "" {
		return shortText(t.Str, 24)
	}
	return "(no type)"
}
