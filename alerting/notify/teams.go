package notify

import (
	"context"
	"strconv"
)

// Teams posts an Adaptive Card message to a Microsoft Teams incoming
// webhook (Workflows, or a legacy connector). Text from mentions goes in
// RichTextBlock TextRuns, which Teams shows as plain text: a TextBlock
// would render markdown, links included.
type Teams struct{ *incomingWebhook }

var _ Notifier = (*Teams)(nil)

func newTeams(c *TeamsConfig, path string, d Deps) (*Teams, []error) {
	if c == nil {
		return nil, missingSection(path)
	}
	var errs []error
	w := newIncomingWebhook(KindTeams, c.URL, c.URLFile, path, d, &errs)
	if len(errs) > 0 {
		return nil, errs
	}
	return &Teams{w}, nil
}

// Notify implements Notifier.
func (t *Teams) Notify(ctx context.Context, m Message) (bool, error) {
	return t.postJSON(ctx, teamsPayload(m))
}

// plainRun is a RichTextBlock with one TextRun: never markdown.
func plainRun(text string, style map[string]any) map[string]any {
	run := map[string]any{"type": "TextRun", "text": text}
	for k, v := range style {
		run[k] = v
	}
	return map[string]any{"type": "RichTextBlock", "inlines": []any{run}}
}

func teamsPayload(m Message) map[string]any {
	color := "Attention"
	switch {
	case m.Action == Resolve:
		color = "Good"
	case m.Action == Acknowledge || m.Severity == "warning" || m.Severity == "info":
		color = "Warning"
	}
	body := []any{plainRun(icon(m.Action)+" "+m.Title, map[string]any{"weight": "Bolder", "size": "Medium", "color": color})}
	if m.Summary != "" {
		body = append(body, plainRun(m.Summary, nil))
	}
	if len(m.Reasons) > 0 {
		var inlines []any
		inlines = append(inlines, map[string]any{"type": "TextRun", "text": "Why:", "weight": "Bolder"})
		for _, r := range m.Reasons {
			inlines = append(inlines, map[string]any{"type": "TextRun", "text": "\n• " + r})
		}
		body = append(body, map[string]any{"type": "RichTextBlock", "inlines": inlines})
	}
	if m.Excerpt != "" && m.Action == Trigger {
		q := "“" + m.Excerpt + "”"
		if m.Author != "" {
			q += " — " + m.Author
		}
		body = append(body, plainRun(q, map[string]any{"italic": true}))
	}
	// FactSet values render markdown, so they hold only values from the
	// config (rule, brand, source) and numbers.
	var fs []any
	fact := func(k, v string) {
		if v != "" {
			fs = append(fs, map[string]any{"title": k, "value": v})
		}
	}
	fact("Rule", m.Rule)
	fact("Brand", m.Brand)
	fact("Source", m.Source)
	if m.Action != Digest {
		fact("Priority", strconv.FormatFloat(m.Priority, 'f', 2, 64)+" ("+m.Severity+")")
	}
	if len(fs) > 0 {
		body = append(body, map[string]any{"type": "FactSet", "facts": fs})
	}
	if m.By != "" {
		body = append(body, plainRun("By "+m.By, map[string]any{"isSubtle": true}))
	}
	var actions []any
	open := func(title, u string) {
		if u != "" {
			actions = append(actions, map[string]any{"type": "Action.OpenUrl", "title": title, "url": u})
		}
	}
	open("Acknowledge", m.AckURL)
	open("Open mention", m.MentionURL)
	open("Dashboard", m.DashboardURL)
	card := map[string]any{
		"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
		"type":    "AdaptiveCard",
		"version": "1.4",
		"body":    body,
		"msteams": map[string]any{"width": "Full"},
	}
	if len(actions) > 0 {
		card["actions"] = actions
	}
	return map[string]any{
		"type":    "message",
		"summary": cut(m.Title, 200),
		"attachments": []any{map[string]any{
			"contentType": "application/vnd.microsoft.card.adaptive",
			"contentUrl":  nil,
			"content":     card,
		}},
	}
}
