package ingest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"github.com/intercom-gateway/gateway/mapping"
)

// Event is one accepted event on its way to a destination.
type Event struct {
	// Destination is the name of the destination the write key feeds.
	Destination string
	// MessageID is the event's messageId, generated when it had none.
	MessageID string
	// Type is identify, track, group, page, screen or alias.
	Type string
	// Key orders delivery: events with the same key are delivered in the
	// order they were received. See ContactKey.
	Key string
	// Body is the event JSON, with type, messageId and receivedAt set.
	Body []byte
	// ReceivedAt is when the gateway received the event.
	ReceivedAt time.Time
}

// Sent reports whether the event type is delivered to Intercom; page,
// screen and alias are acknowledged but not sent.
func (e Event) Sent() bool {
	switch e.Type {
	case "identify", "track", "group":
		return true
	}
	return false
}

// ContactKey returns the key that orders an event's delivery: the user id,
// else the anonymous id, else the email; a group is keyed by its group id
// so one company's writes stay in order.
func ContactKey(body []byte) string {
	v := gjson.ParseBytes(body)
	if v.Get("type").String() == "group" {
		if id := v.Get("groupId").String(); id != "" {
			return "group:" + id
		}
	}
	for _, p := range []string{"userId", "anonymousId", "traits.email", "context.traits.email", "properties.email"} {
		if id := v.Get(p).String(); id != "" {
			return p + ":" + id
		}
	}
	return "none"
}

// knownTypes are the message types of the tracking API.
var knownTypes = map[string]bool{"identify": true, "track": true, "group": true, "page": true, "screen": true, "alias": true}

// Normalize validates one raw message and fills type, messageId and
// receivedAt, as the ingestion API does for each event it accepts.
// defaultType is the type implied by a single-event route, or "" when the
// message must name its type. The Destination field is left empty.
func Normalize(raw []byte, defaultType string, receivedAt time.Time) (Event, error) {
	if len(raw) > mapping.MaxEventSize {
		return Event{}, fmt.Errorf("the event is %d bytes, more than the limit of %d; send fewer traits or properties", len(raw), mapping.MaxEventSize)
	}
	if err := mapping.ValidateJSON(raw); err != nil {
		return Event{}, err
	}
	v := gjson.ParseBytes(raw)
	if !v.IsObject() {
		return Event{}, fmt.Errorf("the event is not a JSON object")
	}

	typ := v.Get("type")
	// A copy, so the event owns its bytes and sjson never writes into the
	// request buffer that the batch's other events share.
	body := append([]byte(nil), raw...)
	var err error
	switch {
	case typ.Exists() && typ.Type != gjson.String:
		return Event{}, fmt.Errorf("the event type is %s, not a string; send identify, track or group", typ.Raw)
	case typ.Exists():
	case defaultType != "":
		if body, err = sjson.SetBytes(body, "type", defaultType); err != nil {
			return Event{}, fmt.Errorf("set type: %w", err)
		}
		typ = gjson.Result{Type: gjson.String, Str: defaultType}
	default:
		return Event{}, fmt.Errorf("the event has no type; send identify, track, group, page, screen or alias")
	}
	if !knownTypes[typ.Str] {
		return Event{}, fmt.Errorf("event type %q is unknown; send identify, track, group, page, screen or alias", typ.Str)
	}
	if defaultType != "" && typ.Str != defaultType {
		return Event{}, fmt.Errorf("event type %q was sent to the %s route; send it to /v1/%s or /v1/batch", typ.Str, defaultType, typ.Str)
	}

	id := v.Get("messageId").String()
	if id == "" {
		id = newMessageID()
		if body, err = sjson.SetBytes(body, "messageId", id); err != nil {
			return Event{}, fmt.Errorf("set messageId: %w", err)
		}
	}
	if body, err = sjson.SetBytes(body, "receivedAt", receivedAt.UTC().Format(time.RFC3339Nano)); err != nil {
		return Event{}, fmt.Errorf("set receivedAt: %w", err)
	}
	return Event{MessageID: id, Type: typ.Str, Key: ContactKey(body), Body: body, ReceivedAt: receivedAt}, nil
}

func newMessageID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return "gw-" + hex.EncodeToString(b[:])
}
