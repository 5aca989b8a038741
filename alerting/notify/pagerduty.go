package notify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"

	"github.com/pantau/pantau/store/secret"
)

// DefaultPagerDutyURL is the Events API v2 endpoint.
const DefaultPagerDutyURL = "https://events.pagerduty.com/v2/enqueue"

// PagerDuty sends Events API v2 events: trigger, acknowledge and resolve
// share the dedup_key (the alert id), so PagerDuty keeps one incident per
// alert however often an event is delivered.
type PagerDuty struct {
	shown
	key      secret.Secret
	url      string
	severity string
	p        *poster
}

var _ Notifier = (*PagerDuty)(nil)

var pdSeverities = []string{"critical", "error", "warning", "info"}

func newPagerDuty(c *PagerDutyConfig, path string, d Deps) (*PagerDuty, []error) {
	if c == nil {
		return nil, missingSection(path)
	}
	var errs []error
	key := resolveSecret(c.RoutingKey, c.RoutingKeyFile, path, "routing_key", true, &errs)
	u := c.URL
	if u == "" {
		u = DefaultPagerDutyURL
	} else {
		checkURL(u, path+".url", false, &errs)
	}
	if c.Severity != "" && !slices.Contains(pdSeverities, c.Severity) {
		errs = append(errs, fieldErr(path+".severity", "%q is not critical, error, warning or info", OneLine(c.Severity, 40)))
	}
	if len(errs) > 0 {
		return nil, errs
	}
	red := &redactor{}
	red.add(key.Reveal())
	return &PagerDuty{shown: describe(KindPagerDuty, shownURL(u, false)), key: key, url: u, severity: c.Severity, p: newPoster(KindPagerDuty, d, red, shownURL(u, false))}, nil
}

// Notify implements Notifier.
func (p *PagerDuty) Notify(ctx context.Context, m Message) (bool, error) {
	ev, err := p.event(m)
	if err != nil {
		return false, err
	}
	body, err := json.Marshal(ev)
	if err != nil {
		return false, err
	}
	return p.p.post(ctx, p.url, jsonHeader(), body)
}

// DedupKey is the PagerDuty dedup_key of an alert: its id, or a hash of
// it when the id is longer than the 255 characters PagerDuty takes. The
// same id always gives the same key.
func DedupKey(alertID string) string {
	if len(alertID) <= 255 {
		return alertID
	}
	sum := sha256.Sum256([]byte(alertID))
	return "pantau:" + hex.EncodeToString(sum[:])
}

func (p *PagerDuty) event(m Message) (map[string]any, error) {
	ev := map[string]any{
		"routing_key":  p.key.Reveal(),
		"event_action": string(m.Action),
		"dedup_key":    DedupKey(m.AlertID),
	}
	switch m.Action {
	case Acknowledge, Resolve:
		return ev, nil
	case Trigger:
	default:
		// A digest is not an incident; routes should not send it here.
		return nil, errors.New("pagerduty: only trigger, acknowledge and resolve can be sent")
	}
	sev := p.severity
	if sev == "" {
		sev = m.Severity
	}
	details := map[string]any{"alert_id": m.AlertID, "priority": m.Priority}
	if m.Summary != "" {
		details["summary"] = m.Summary
	}
	if len(m.Reasons) > 0 {
		details["reasons"] = m.Reasons
	}
	if m.Author != "" {
		details["author"] = m.Author
	}
	if m.Excerpt != "" {
		details["excerpt"] = m.Excerpt
	}
	source := "pantau"
	if m.Source != "" {
		source = "pantau/" + m.Source
	}
	payload := map[string]any{
		"summary":        cut(m.Title+": "+m.Summary, 1024),
		"severity":       sev,
		"source":         source,
		"custom_details": details,
	}
	if !m.OpenedAt.IsZero() {
		payload["timestamp"] = m.OpenedAt.UTC().Format("2006-01-02T15:04:05.000Z07:00")
	}
	if m.Source != "" {
		payload["component"] = m.Source
	}
	if m.Brand != "" {
		payload["group"] = m.Brand
	}
	if m.Rule != "" {
		payload["class"] = m.Rule
	}
	ev["payload"] = payload
	ev["client"] = "Pantau"
	if m.DashboardURL != "" {
		ev["client_url"] = m.DashboardURL
	}
	var links []any
	link := func(text, href string) {
		if href != "" {
			links = append(links, map[string]any{"href": href, "text": text})
		}
	}
	link("Open mention", m.MentionURL)
	link("Pantau dashboard", m.DashboardURL)
	link("Acknowledge in Pantau", m.AckURL)
	if len(links) > 0 {
		ev["links"] = links
	}
	return ev, nil
}
