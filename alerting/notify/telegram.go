package notify

import (
	"context"
	"encoding/json"
	"html"
	"regexp"
	"strings"
	"time"

	"github.com/pantau/pantau/store/secret"
)

// DefaultTelegramAPI is the Bot API's address.
const DefaultTelegramAPI = "https://api.telegram.org"

// Telegram sends through the Bot API's sendMessage with parse_mode HTML.
// Every piece of text is HTML-escaped; only our own tags and links are
// markup. Links are in the text rather than inline buttons, because
// Telegram refuses buttons to addresses such as http://localhost, and a
// refused message would be lost.
type Telegram struct {
	shown
	token  secret.Secret
	chatID string
	api    string
	p      *poster
}

var _ Notifier = (*Telegram)(nil)

var telegramChat = regexp.MustCompile(`^(-?[0-9]{1,20}|@[A-Za-z][A-Za-z0-9_]{3,63})$`)

func newTelegram(c *TelegramConfig, path string, d Deps) (*Telegram, []error) {
	if c == nil {
		return nil, missingSection(path)
	}
	var errs []error
	tok := resolveSecret(c.Token, c.TokenFile, path, "token", true, &errs)
	if tok.IsSet() && strings.ContainsAny(tok.Reveal(), "/?#% \r\n") {
		errs = append(errs, fieldErr(path+".token", "is not a bot token (expected 123456:ABC...)"))
	}
	switch {
	case c.ChatID == "":
		errs = append(errs, fieldErr(path+".chat_id", "required"))
	case !telegramChat.MatchString(c.ChatID):
		errs = append(errs, fieldErr(path+".chat_id", "%q is not a numeric chat id or an @channel name", OneLine(c.ChatID, 80)))
	}
	api := c.APIURL
	if api == "" {
		api = DefaultTelegramAPI
	} else {
		checkURL(api, path+".api_url", false, &errs)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	red := &redactor{}
	red.add(tok.Reveal())
	red.add("bot" + tok.Reveal())
	t := &Telegram{shown: describe(KindTelegram, shownURL(api, false)), token: tok, chatID: c.ChatID, api: strings.TrimRight(api, "/")}
	t.p = newPoster(KindTelegram, d, red, shownURL(t.api, false)+"/bot…/sendMessage")
	t.p.onError = telegramRetryAfter
	return t, nil
}

// telegramRetryAfter reads the wait Telegram puts in its JSON answer to a
// 429 ({"parameters":{"retry_after":5}}) when no header says it.
func telegramRetryAfter(body []byte, e *StatusError) {
	if e.After > 0 || !e.Retry {
		return
	}
	var r struct {
		Parameters struct {
			RetryAfter int64 `json:"retry_after"`
		} `json:"parameters"`
	}
	if json.Unmarshal(body, &r) == nil && r.Parameters.RetryAfter > 0 {
		e.After = time.Duration(min(r.Parameters.RetryAfter, 7*24*3600)) * time.Second
	}
}

// Notify implements Notifier.
func (t *Telegram) Notify(ctx context.Context, m Message) (bool, error) {
	body, err := json.Marshal(map[string]any{
		"chat_id":              t.chatID,
		"text":                 telegramHTML(m),
		"parse_mode":           "HTML",
		"link_preview_options": map[string]any{"is_disabled": true},
	})
	if err != nil {
		return false, err
	}
	return t.p.post(ctx, t.api+"/bot"+t.token.Reveal()+"/sendMessage", jsonHeader(), body)
}

// telegramHTML renders the message in the HTML subset Telegram takes.
// Telegram's limit is 4096 characters after entities are parsed; the
// pieces are cut before escaping so an entity is never cut in half.
func telegramHTML(m Message) string {
	e := html.EscapeString
	var b strings.Builder
	b.WriteString("<b>" + e(icon(m.Action)+" "+m.Title) + "</b>\n")
	if m.Summary != "" {
		b.WriteString(e(cut(m.Summary, 1000)) + "\n")
	}
	if len(m.Reasons) > 0 {
		b.WriteString("\n<b>Why</b>\n")
		for _, r := range m.Reasons {
			b.WriteString("• " + e(cut(r, 200)) + "\n")
		}
	}
	if m.Excerpt != "" && m.Action == Trigger {
		b.WriteString("\n<blockquote>" + e(m.Excerpt) + "</blockquote>")
		if m.Author != "" {
			b.WriteString("— " + e(m.Author))
		}
		b.WriteString("\n")
	}
	b.WriteString("\n<i>" + e(facts(m)) + "</i>")
	var links []string
	for _, l := range []struct{ label, url string }{
		{"Acknowledge", m.AckURL}, {"Open mention", m.MentionURL}, {"Dashboard", m.DashboardURL},
	} {
		if l.url != "" {
			links = append(links, `<a href="`+e(l.url)+`">`+l.label+`</a>`)
		}
	}
	if len(links) > 0 {
		b.WriteString("\n" + strings.Join(links, " · "))
	}
	return b.String()
}
