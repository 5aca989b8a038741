package ui

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/pantau/pantau/alerting/audit"
	"github.com/pantau/pantau/store"
)

// GET /api/alerts/{id}: one alert with its timeline, for the leads' screen.
// The timeline is built from what the store already records, so it needs
// no bookkeeping of its own: the alert (opened, level, snooze, state), the
// audit log (who acknowledged, resolved, snoozed, escalated) and the
// outbox (each receiver's notifications, delivered, retried or refused).

// timelineEntry is one thing that happened to an alert.
type timelineEntry struct {
	At     time.Time `json:"at"`
	Kind   string    `json:"kind"`
	By     string    `json:"by"`
	Detail string    `json:"detail"`
}

// Bounds of one timeline.
const (
	maxTimelineAudit  = 200 // audit entries per target
	maxTimelineOutbox = 500 // notifications
	maxTimelineError  = 300 // bytes of a receiver's error shown
)

// alertTimeline answers GET /api/alerts/{id}.
func (s *Server) alertTimeline(w http.ResponseWriter, r *http.Request) {
	if _, err := parseParams(r); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	id, ok := alertIDParam(w, r)
	if !ok {
		return
	}
	a, found, err := s.st.Alert(id)
	if err != nil {
		s.internalError(w, r, "read alert", err)
		return
	}
	if !found {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no alert with id %q", clip(id, 200)))
		return
	}
	tl, err := s.buildTimeline(a)
	if err != nil {
		s.internalError(w, r, "read alert timeline", err)
		return
	}
	maskAlert(&a)
	writeJSON(w, http.StatusOK, struct {
		Alert    store.Alert     `json:"alert"`
		Timeline []timelineEntry `json:"timeline"`
	}{a, tl})
}

// maskAlert masks personal data in an alert's words: a rule's summary or
// reasons may quote the customer's post.
func maskAlert(a *store.Alert) {
	a.Summary = audit.MaskAll(a.Summary)
	a.Reasons = slices.Clone(a.Reasons)
	for i := range a.Reasons {
		a.Reasons[i] = audit.MaskAll(a.Reasons[i])
	}
}

// buildTimeline gathers a's entries, oldest first; entries at the same
// time keep the order opened, people, state, level, notifications.
func (s *Server) buildTimeline(a store.Alert) ([]timelineEntry, error) {
	masked := a
	maskAlert(&masked)
	out := []timelineEntry{{At: a.OpenedAt, Kind: "opened", Detail: openedDetail(masked)}}

	people, err := s.alertAudit(a.ID)
	if err != nil {
		return nil, err
	}
	out = append(out, people...)
	out = append(out, stateEntries(a, people)...)

	items, truncated, err := s.st.OutboxForAlert(a.ID, maxTimelineOutbox)
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		out = append(out, notificationEntry(it))
	}
	if truncated {
		out = append(out, timelineEntry{At: a.UpdatedAt, Kind: "note",
			Detail: fmt.Sprintf("only the first %d notifications are shown", len(items))})
	}
	slices.SortStableFunc(out, func(x, y timelineEntry) int { return x.At.Compare(y.At) })
	return out, nil
}

func openedDetail(a store.Alert) string {
	d := a.Summary
	if len(a.Reasons) > 0 {
		if d != "" {
			d += ": "
		}
		d += strings.Join(a.Reasons, "; ")
	}
	return d
}

// alertAudit turns the audit log's entries about an alert into timeline
// entries. Acknowledge and resolve (from the dashboard or a
// notification's link) and, since this endpoint, snooze and escalate are
// recorded with the alert id as target; snoozes and escalations recorded
// before were the generic "POST /api/alerts/{}/snooze" with the request
// path as target, so those two paths are read as well.
func (s *Server) alertAudit(id string) ([]timelineEntry, error) {
	var out []timelineEntry
	for _, target := range []string{id, "/api/alerts/" + id + "/snooze", "/api/alerts/" + id + "/escalate"} {
		es, err := s.st.AuditFor(target, maxTimelineAudit)
		if err != nil {
			return nil, err
		}
		for _, e := range es {
			kind, ok := auditKind(e.Action)
			if !ok {
				continue
			}
			out = append(out, timelineEntry{At: e.At, Kind: kind, By: e.User, Detail: audit.MaskAll(e.Detail)})
		}
	}
	slices.SortStableFunc(out, func(x, y timelineEntry) int { return x.At.Compare(y.At) })
	return out, nil
}

// auditKind names an alert action of the audit log as a timeline kind.
func auditKind(action string) (string, bool) {
	switch action {
	case "alert.acknowledge":
		return "acknowledged", true
	case "alert.resolve":
		return "resolved", true
	case "alert.snooze", "POST /api/alerts/{}/snooze":
		return "snoozed", true
	case "alert.escalate", "POST /api/alerts/{}/escalate":
		return "escalated", true
	}
	if rest, ok := strings.CutPrefix(action, "alert."); ok && rest != "" {
		return rest, true
	}
	return "", false
}

// stateEntries are what the alert record itself says and the audit log
// does not: a state change nobody audited (the pipeline resolves an alert
// when the brand answers), the level it reached and when its snooze ends.
func stateEntries(a store.Alert, people []timelineEntry) []timelineEntry {
	var out []timelineEntry
	if a.State == store.AlertAcknowledged || a.State == store.AlertResolved {
		kind := string(a.State)
		if !slices.ContainsFunc(people, func(e timelineEntry) bool { return e.Kind == kind }) {
			out = append(out, timelineEntry{At: a.UpdatedAt, Kind: kind, By: a.By})
		}
	}
	// Only the latest level change is recorded. A snooze moves the
	// escalation clock (EscalatedAt) to the snooze's end: that is not a
	// level change, so it is shown as the snooze's end only.
	if a.Level > 0 && a.EscalatedAt != nil && (a.SnoozedUntil == nil || !a.EscalatedAt.Equal(*a.SnoozedUntil)) {
		detail := "routed: level 1 told"
		if a.Level > 1 {
			detail = fmt.Sprintf("escalated to level %d", a.Level)
		}
		out = append(out, timelineEntry{At: *a.EscalatedAt, Kind: "level", Detail: detail})
	}
	if a.SnoozedUntil != nil {
		out = append(out, timelineEntry{At: *a.SnoozedUntil, Kind: "snooze_ends", Detail: "notifications held until then"})
	}
	return out
}

// notificationEntry says where one notification to one receiver stands.
func notificationEntry(it store.OutboxItem) timelineEntry {
	what := it.Receiver + ": " + it.Action
	lastErr := clip(it.LastError, maxTimelineError)
	switch {
	case it.DeliveredAt != nil:
		d := what + " delivered"
		if it.Attempts > 1 {
			d += fmt.Sprintf(" on attempt %d (earlier: %s)", it.Attempts, lastErr)
		}
		return timelineEntry{At: *it.DeliveredAt, Kind: "notified", Detail: d}
	case it.Permanent:
		return timelineEntry{At: it.LastAttempt, Kind: "notify_failed",
			Detail: fmt.Sprintf("%s refused on attempt %d, given up: %s", what, it.Attempts, lastErr)}
	case it.Attempts > 0:
		d := fmt.Sprintf("%s failed %d times, retrying", what, it.Attempts)
		if !it.NextAttempt.IsZero() {
			d += " at " + it.NextAttempt.UTC().Format(time.RFC3339)
		}
		return timelineEntry{At: it.LastAttempt, Kind: "notify_retry", Detail: d + ": " + lastErr}
	default:
		return timelineEntry{At: it.CreatedAt, Kind: "notify_queued", Detail: what + " queued"}
	}
}
