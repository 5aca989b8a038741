package store

import (
	"testing"
	"time"
)

// An alert's items are found whatever their id form (direct or the
// router's keyed sends), with their delivery state, and an alert whose id
// extends another's is kept apart.
func TestOutboxForAlert(t *testing.T) {
	c := newClock()
	st, _ := openTest(t, c)
	keyed := outboxItem("r|a", "pd", OutboxTrigger)
	keyed.ID = OutboxID("r|a#2.1", "pd", OutboxTrigger)
	err := st.Enqueue(
		outboxItem("r|a", "slack", OutboxTrigger),
		keyed,
		outboxItem("r|ab", "slack", OutboxTrigger),  // shares the prefix
		outboxItem("r|a|x", "slack", OutboxTrigger), // shares "r|a|"
		outboxItem("group:k@1", "slack", OutboxTrigger),
	)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 3, 14, 10, 0, 0, 0, time.UTC)
	if err := st.MarkDelivered(OutboxID("r|a", "slack", OutboxTrigger), at); err != nil {
		t.Fatal(err)
	}
	items, truncated, err := st.OutboxForAlert("r|a", 0)
	if err != nil || truncated {
		t.Fatalf("OutboxForAlert: truncated %v, err %v", truncated, err)
	}
	var got []string
	for _, it := range items {
		got = append(got, it.ID)
		if it.Payload != nil {
			t.Errorf("%s: payload returned", it.ID)
		}
		if it.Receiver == "slack" && (it.DeliveredAt == nil || !it.DeliveredAt.Equal(at)) {
			t.Errorf("slack item delivered at %v, want %v", it.DeliveredAt, at)
		}
	}
	want := []string{"r|a#2.1|pd|trigger", "r|a|slack|trigger"}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("items %q, want %q", got, want)
	}
	if items, truncated, _ := st.OutboxForAlert("r|a", 1); len(items) != 1 || !truncated {
		t.Errorf("limit 1: %d items, truncated %v; want 1, true", len(items), truncated)
	}
	if items, _, _ := st.OutboxForAlert("nope", 0); len(items) != 0 {
		t.Errorf("unknown alert: %d items", len(items))
	}
}
