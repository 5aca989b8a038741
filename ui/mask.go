package ui

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/pantau/pantau/alerting/audit"
	"github.com/pantau/pantau/store"
)

// Personal data in mentions (a customer's phone number, an order number
// with an address, a brand reply that exposed them) is masked in every
// mention the API and the websocket send. The store keeps the original;
// POST /api/reveal/{key} shows it on purpose, and that is logged.

// maskMention masks the personal data in m's text (the spans the scorer
// stored) and title (found here: titles are short).
func maskMention(m *store.Mention) {
	if m.Score != nil && len(m.Score.PII) > 0 {
		m.Text = audit.Mask(m.Text, m.Score.PII)
	}
	if m.Title != "" {
		m.Title = audit.MaskAll(m.Title)
	}
}

func maskMentions(ms []store.Mention) []store.Mention {
	for i := range ms {
		maskMention(&ms[i])
	}
	return ms
}

// maskEvents masks the mentions carried by mention events. Events whose
// mention has nothing to mask are passed on as stored.
func maskEvents(evs []store.Event) []store.Event {
	for i := range evs {
		e := &evs[i]
		if !strings.HasPrefix(e.Type, "mention.") {
			continue
		}
		// Cheap test first: most mentions have no personal data, and a
		// title is masked only when it has any.
		if !bytes.Contains(e.Data, []byte(`"pii":`)) && !bytes.Contains(e.Data, []byte(`"title":`)) {
			continue
		}
		// Then read only what masking needs: decoding and re-encoding
		// whole mentions, most of which have nothing to mask, was most of
		// the cost of following the store with 200 dashboards (the soak).
		var f maskedFields
		if json.Unmarshal(e.Data, &f) != nil {
			continue
		}
		m := store.Mention{Text: f.Text, Title: f.Title, Score: &store.Score{PII: f.Score.PII}}
		maskMention(&m)
		if m.Text == f.Text && m.Title == f.Title {
			continue
		}
		var full store.Mention
		if json.Unmarshal(e.Data, &full) != nil {
			continue
		}
		maskMention(&full)
		if data, err := json.Marshal(&full); err == nil {
			e.Data = data
		}
	}
	return evs
}

// maskedFields is what masking reads of a mention.
type maskedFields struct {
	Text  string `json:"text"`
	Title string `json:"title"`
	Score struct {
		PII []store.Span `json:"pii"`
	} `json:"score"`
}
