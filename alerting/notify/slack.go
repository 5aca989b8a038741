package notify

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Slack posts to an incoming webhook: a message with Block Kit blocks
// (header, what and why, the mention, buttons) and a plain "text"
// fallback for notifications and old clients.
type Slack struct{ *incomingWebhook }

var _ Notifier = (*Slack)(nil)

func newSlack(c *SlackConfig, path string, d Deps) (*Slack, []error) {
	if c == nil {
		return nil, missingSection(path)
	}
	var errs []error
	w := newIncomingWebhook(KindSlack, c.URL, c.URLFile, path, d, &errs)
	if len(errs) > 0 {
		return nil, errs
	}
	return &Slack{w}, nil
}

// Notify implements Notifier.
func (s *Slack) Notify(ctx context.Context, m Message) (bool, error) {
	if m.Digest != nil && len(m.Digest.Slack) > 0 {
		// Rendered by the digest package; sent as it is.
		return s.postJSON(ctx, json.RawMessage(m.Digest.Slack))
	}
	return s.postJSON(ctx, slackPayload(m))
}

// slackEscape escapes the three characters Slack's mrkdwn gives meaning to
// (<...> is a link, a user or @channel mention). Other markup (*bold*)
// can only change emphasis.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// Slack's limits: header text 150, section text 3000, button URL 3000.
func slackPayload(m Message) map[string]any {
	text := func(t string) map[string]any { return map[string]any{"type": "mrkdwn", "text": cut(t, 3000)} }
	plain := func(t string, n int) map[string]any {
		return map[string]any{"type": "plain_text", "text": cut(t, n), "emoji": true}
	}
	blocks := []any{map[string]any{"type": "header", "text": plain(icon(m.Action)+" "+m.Title, 150)}}

	var what strings.Builder
	if m.Summary != "" {
		what.WriteString(slackEscape(m.Summary))
	}
	if len(m.Reasons) > 0 {
		what.WriteString("\n*Why:*")
		for _, r := range m.Reasons {
			what.WriteString("\n• " + slackEscape(r))
		}
	}
	if what.Len() > 0 {
		blocks = append(blocks, map[string]any{"type": "section", "text": text(what.String())})
	}
	if m.Excerpt != "" && m.Action == Trigger {
		q := "> " + slackEscape(m.Excerpt)
		if m.Author != "" {
			q += "\n— " + slackEscape(m.Author)
		}
		blocks = append(blocks, map[string]any{"type": "section", "text": text(q)})
	}
	blocks = append(blocks, map[string]any{"type": "context", "elements": []any{text(slackEscape(facts(m)))}})

	var buttons []any
	button := func(label, u, style string) {
		if u == "" || len(u) > 3000 {
			return
		}
		b := map[string]any{"type": "button", "text": plain(label, 75), "url": u, "action_id": "pantau-" + strconv.Itoa(len(buttons))}
		if style != "" {
			b["style"] = style
		}
		buttons = append(buttons, b)
	}
	button("Acknowledge", m.AckURL, "primary")
	button("Open mention", m.MentionURL, "")
	button("Dashboard", m.DashboardURL, "")
	if len(buttons) > 0 {
		blocks = append(blocks, map[string]any{"type": "actions", "elements": buttons})
	}
	return map[string]any{
		"text":         slackEscape(cut(m.Title+": "+m.Summary, 2000)),
		"blocks":       blocks,
		"unfurl_links": false,
		"unfurl_media": false,
	}
}

// icon is an emoji per action, the same on every chat receiver.
func icon(a Action) string {
	switch a {
	case Acknowledge:
		return "👀"
	case Resolve:
		return "✅"
	case Digest:
		return "📋"
	}
	return "🚨"
}

// facts is the one-line context: rule, brand, source, priority, alert.
func facts(m Message) string {
	var parts []string
	if m.Rule != "" {
		parts = append(parts, "rule "+m.Rule)
	}
	if m.Brand != "" {
		parts = append(parts, "brand "+m.Brand)
	}
	if m.Source != "" {
		parts = append(parts, "source "+m.Source)
	}
	if m.Action != Digest {
		parts = append(parts, "priority "+strconv.FormatFloat(m.Priority, 'f', 2, 64)+" ("+m.Severity+")")
	}
	if m.By != "" {
		parts = append(parts, "by "+m.By)
	}
	return strings.Join(parts, " · ")
}

// cut shortens s to at most n characters (runes), ending with an
// ellipsis when it cut.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
