package store

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func outboxItem(alert, receiver, action string) OutboxItem {
	return OutboxItem{AlertID: alert, Receiver: receiver, Action: action, Payload: json.RawMessage(`{"alert_id":"` + alert + `"}`)}
}

func pendingIDs(t *testing.T, st *Store, receiver string) []string {
	t.Helper()
	items, err := st.PendingOutbox(receiver, 0)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, it := range items {
		ids = append(ids, it.AlertID+"/"+it.Action)
	}
	return ids
}

func TestOutboxEnqueueIsIdempotentAndOrderedPerReceiver(t *testing.T) {
	c := newClock()
	st, _ := openTest(t, c)
	err := st.Enqueue(
		outboxItem("r|a", "slack", OutboxTrigger),
		outboxItem("r|a", "pd", OutboxTrigger),
		outboxItem("r|b", "slack", OutboxTrigger),
		outboxItem("r|a", "slack", OutboxTrigger), // same id in one call
	)
	if err != nil {
		t.Fatal(err)
	}
	c.Add(time.Second)
	// Again, plus a new one: the repeats change nothing.
	if err := st.Enqueue(outboxItem("r|a", "slack", OutboxTrigger), outboxItem("r|a", "slack", OutboxResolve)); err != nil {
		t.Fatal(err)
	}
	if got, want := pendingIDs(t, st, "slack"), []string{"r|a/trigger", "r|b/trigger", "r|a/resolve"}; !slices.Equal(got, want) {
		t.Fatalf("slack queue = %v, want %v", got, want)
	}
	if got, want := pendingIDs(t, st, "pd"), []string{"r|a/trigger"}; !slices.Equal(got, want) {
		t.Fatalf("pd queue = %v, want %v", got, want)
	}
	it, found, err := st.OutboxItemByID(OutboxID("r|a", "slack", OutboxTrigger))
	if err != nil || !found {
		t.Fatalf("item by id: found=%v err=%v", found, err)
	}
	if it.ID != "r|a|slack|trigger" || !it.CreatedAt.Equal(newClock().Now()) || string(it.Payload) != `{"alert_id":"r|a"}` {
		t.Fatalf("stored item = %+v", it)
	}
	recv, err := st.OutboxReceivers()
	if err != nil || !slices.Equal(recv, []string{"pd", "slack"}) {
		t.Fatalf("receivers = %v, %v", recv, err)
	}
	depth, err := st.OutboxDepth()
	if err != nil || depth["slack"] != 3 || depth["pd"] != 1 || len(depth) != 2 {
		t.Fatalf("depth = %v, %v", depth, err)
	}
}

func TestOutboxMarks(t *testing.T) {
	c := newClock()
	st, _ := openTest(t, c)
	a, b, d := outboxItem("x", "hook", OutboxTrigger), outboxItem("y", "hook", OutboxTrigger), outboxItem("z", "hook", OutboxTrigger)
	if err := st.Enqueue(a, b, d); err != nil {
		t.Fatal(err)
	}
	idA, idB, idD := OutboxID("x", "hook", OutboxTrigger), OutboxID("y", "hook", OutboxTrigger), OutboxID("z", "hook", OutboxTrigger)
	now := c.Now()
	next := now.Add(time.Minute)
	if err := st.MarkRetry(idA, now, "503 Service Unavailable", next); err != nil {
		t.Fatal(err)
	}
	items, _ := st.PendingOutbox("hook", 1)
	if len(items) != 1 || items[0].ID != idA || items[0].Attempts != 1 || !items[0].NextAttempt.Equal(next) || items[0].LastError != "503 Service Unavailable" || items[0].DeliveredAt != nil {
		t.Fatalf("after retry, head = %+v", items)
	}
	if err := st.MarkDelivered(idA, next); err != nil {
		t.Fatal(err)
	}
	if err := st.MarkDelivered(idA, next.Add(time.Hour)); err != nil {
		t.Fatalf("marking delivered twice: %v", err)
	}
	got, _, _ := st.OutboxItemByID(idA)
	if got.DeliveredAt == nil || !got.DeliveredAt.Equal(next) || got.Attempts != 2 || got.Pending() {
		t.Fatalf("delivered item = %+v", got)
	}
	if err := st.MarkPermanentFailure(idB, next, "400 Bad Request: invalid_payload"); err != nil {
		t.Fatal(err)
	}
	if ids := pendingIDs(t, st, "hook"); !slices.Equal(ids, []string{"z/trigger"}) {
		t.Fatalf("queue = %v, want only z", ids)
	}
	for name, err := range map[string]error{
		"retry delivered":       st.MarkRetry(idA, now, "x", now),
		"give up delivered":     st.MarkPermanentFailure(idA, now, "x"),
		"deliver given up":      st.MarkDelivered(idB, now),
		"retry given up":        st.MarkRetry(idB, now, "x", now),
		"give up given up (ok)": st.MarkPermanentFailure(idB, now, "again"),
		"unknown":               st.MarkDelivered("nope", now),
	} {
		switch {
		case name == "give up given up (ok)":
			if err != nil {
				t.Errorf("%s: %v", name, err)
			}
		case name == "unknown":
			if !errors.Is(err, ErrNotFound) {
				t.Errorf("%s: %v, want ErrNotFound", name, err)
			}
		default:
			if !errors.Is(err, ErrConflict) {
				t.Errorf("%s: %v, want ErrConflict", name, err)
			}
		}
	}
	// A delivered id enqueued again stays delivered: the decision was
	// already carried out.
	if err := st.Enqueue(a); err != nil {
		t.Fatal(err)
	}
	if ids := pendingIDs(t, st, "hook"); !slices.Equal(ids, []string{"z/trigger"}) {
		t.Fatalf("queue after re-enqueue = %v", ids)
	}
	if err := st.MarkDelivered(idD, now); err != nil {
		t.Fatal(err)
	}
	if recv, _ := st.OutboxReceivers(); len(recv) != 0 {
		t.Fatalf("receivers with an empty queue: %v", recv)
	}
}

func TestOutboxSurvivesReopen(t *testing.T) {
	c := newClock()
	path := filepath.Join(t.TempDir(), "pantau.db")
	st, err := Open(path, Options{Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Enqueue(outboxItem("1", "hook", OutboxTrigger), outboxItem("2", "hook", OutboxTrigger)); err != nil {
		t.Fatal(err)
	}
	next := c.Now().Add(time.Minute)
	if err := st.MarkRetry(OutboxID("1", "hook", OutboxTrigger), c.Now(), "down", next); err != nil {
		t.Fatal(err)
	}
	if err := st.SetOutboxCursor("alerts", 42); err != nil {
		t.Fatal(err)
	}
	st.Close()

	st, err = Open(path, Options{Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Enqueue(outboxItem("3", "hook", OutboxTrigger)); err != nil {
		t.Fatal(err)
	}
	items, err := st.PendingOutbox("hook", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 3 || items[0].AlertID != "1" || items[1].AlertID != "2" || items[2].AlertID != "3" {
		t.Fatalf("after reopen: %+v", items)
	}
	if items[0].Attempts != 1 || !items[0].NextAttempt.Equal(next) || !(items[0].Seq < items[1].Seq && items[1].Seq < items[2].Seq) {
		t.Fatalf("head after reopen = %+v", items[0])
	}
	if seq, found, err := st.OutboxCursor("alerts"); err != nil || !found || seq != 42 {
		t.Fatalf("cursor = %d %v %v", seq, found, err)
	}
	if _, found, _ := st.OutboxCursor("other"); found {
		t.Fatal("unknown cursor found")
	}
}

func TestOutboxRejectsBadItemsWhole(t *testing.T) {
	st, _ := openTest(t, newClock())
	cases := map[string]OutboxItem{
		"no receiver":  {AlertID: "a", Action: OutboxTrigger},
		"nul receiver": {AlertID: "a", Action: OutboxTrigger, Receiver: "a\x00b"},
		"no action":    {AlertID: "a", Receiver: "r"},
		"bad payload":  {AlertID: "a", Receiver: "r", Action: OutboxTrigger, Payload: json.RawMessage(`{`)},
	}
	for name, bad := range cases {
		if err := st.Enqueue(outboxItem("ok", "r", OutboxTrigger), bad); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if d, _ := st.OutboxDepth(); len(d) != 0 {
		t.Fatalf("a rejected batch left items: %v", d)
	}
}

func TestOutboxEventsAndPrune(t *testing.T) {
	c := newClock()
	st, _ := openTest(t, c)
	before, _ := st.LastSeq()
	if err := st.Enqueue(outboxItem("a", "hook", OutboxTrigger), outboxItem("b", "hook", OutboxTrigger)); err != nil {
		t.Fatal(err)
	}
	if err := st.MarkDelivered(OutboxID("a", "hook", OutboxTrigger), c.Now()); err != nil {
		t.Fatal(err)
	}
	evs, err := st.EventsSince(before, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 3 {
		t.Fatalf("events = %d, want 3 (2 enqueued, 1 delivered)", len(evs))
	}
	for _, e := range evs {
		var it OutboxItem
		if e.Type != EventOutbox || json.Unmarshal(e.Data, &it) != nil || it.Payload != nil || it.Receiver != "hook" {
			t.Fatalf("event %s %s", e.Type, e.Data)
		}
	}
	// "open" is an alert still open: its delivered trigger must stay, or
	// its resolve would never be sent.
	if _, err := st.PutAlert(Alert{ID: "open", State: AlertOpen}); err != nil {
		t.Fatal(err)
	}
	if err := st.Enqueue(outboxItem("open", "hook", OutboxTrigger)); err != nil {
		t.Fatal(err)
	}
	if err := st.MarkDelivered(OutboxID("open", "hook", OutboxTrigger), c.Now()); err != nil {
		t.Fatal(err)
	}
	c.Add(48 * time.Hour)
	n, err := st.PruneOutbox(c.Now().Add(-24 * time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("pruned %d, %v; want 1 (the delivered one)", n, err)
	}
	if _, found, _ := st.OutboxItemByID(OutboxID("b", "hook", OutboxTrigger)); !found {
		t.Fatal("pending item pruned")
	}
	if _, found, _ := st.OutboxItemByID(OutboxID("open", "hook", OutboxTrigger)); !found {
		t.Fatal("trigger of an open alert pruned")
	}
	if _, err := st.SetAlertState("open", AlertResolved, ""); err != nil {
		t.Fatal(err)
	}
	if n, err := st.PruneOutbox(c.Now().Add(-24 * time.Hour)); err != nil || n != 1 {
		t.Fatalf("after resolving: pruned %d, %v", n, err)
	}
}
