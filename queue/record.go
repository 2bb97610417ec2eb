package queue

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"github.com/intercom-gateway/gateway/ingest"
)

// record is a pending event as stored, with its retry state.
type record struct {
	Destination string          `json:"d"`
	Key         string          `json:"k"`
	MessageID   string          `json:"m"`
	Type        string          `json:"t"`
	ReceivedAt  time.Time       `json:"r"`
	Attempts    int             `json:"a,omitempty"`
	NextAttempt time.Time       `json:"n,omitzero"`
	LastError   string          `json:"e,omitempty"`
	Body        json.RawMessage `json:"b"`
}

func recordOf(e ingest.Event) record {
	return record{Destination: e.Destination, Key: e.Key, MessageID: e.MessageID, Type: e.Type, ReceivedAt: e.ReceivedAt, Body: e.Body}
}

func (r record) event() ingest.Event {
	return ingest.Event{Destination: r.Destination, Key: r.Key, MessageID: r.MessageID, Type: r.Type, ReceivedAt: r.ReceivedAt, Body: []byte(r.Body)}
}

func decodeRecord(seq uint64, data []byte) (record, error) {
	var r record
	if err := json.Unmarshal(data, &r); err != nil {
		return r, fmt.Errorf("stored event %d is corrupt: %w", seq, err)
	}
	return r, nil
}

// seqKey is the bbolt key of a sequence number: big-endian, so the keys
// sort in arrival order.
func seqKey(seq uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], seq)
	return b[:]
}

func seqOf(key []byte) uint64 { return binary.BigEndian.Uint64(key) }

// DeadLetter is an event whose delivery ended without success, kept with
// its full result for inspection and replay.
type DeadLetter struct {
	// ID identifies the dead letter; it is the event's sequence number.
	ID          uint64    `json:"id"`
	Destination string    `json:"destination"`
	MessageID   string    `json:"messageId"`
	Type        string    `json:"type"`
	ReceivedAt  time.Time `json:"receivedAt"`
	DeadAt      time.Time `json:"deadAt"`
	Attempts    int       `json:"attempts"`
	Outcome     string    `json:"outcome"`
	Message     string    `json:"message"`
	// Result is the mapping.Result of the last attempt, as JSON: calls,
	// Intercom's messages and warnings.
	Result json.RawMessage `json:"result,omitempty"`
	// Plugin names the plugin that handled the last attempt: name, version
	// and sha256.
	Plugin json.RawMessage `json:"plugin,omitempty"`
	Key    string          `json:"key"`
	Body   json.RawMessage `json:"event"`
}
