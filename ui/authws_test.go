package ui

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/pantau/pantau/store"
	"github.com/pantau/pantau/ui/accounts"
)

func TestWebsocketNeedsAPermittedSession(t *testing.T) {
	f := newAuthFixture(t, Config{})
	ts := startServer(t, f.st, Config{Auth: AuthLogin}, func(s *Server) {
		s.hub.pingPeriod = 50 * time.Millisecond
		if err := s.ReloadUsers(true); err != nil {
			t.Fatal(err)
		}
	}, WithAccounts(accounts.NewDirectory(f.usersPath)), WithClock(f.clock.Now))

	dialAs := func(s *session) (*websocket.Conn, *http.Response, error) {
		h := http.Header{}
		if s != nil {
			h.Set("Cookie", sessionCookie+"="+s.cookie.Value)
		}
		return dialWS(ts, "", h)
	}
	for name, s := range map[string]*session{"nobody": nil, "marketing": f.login("mkt")} {
		c, resp, err := dialAs(s)
		if err == nil {
			c.Close()
			t.Fatalf("%s opened the websocket", name)
		}
		want := map[string]int{"nobody": 401, "marketing": 403}[name]
		if resp == nil || resp.StatusCode != want {
			t.Errorf("%s: %s, want %d", name, respText(resp), want)
		}
	}
	// A foreign origin is refused even with a session.
	h := http.Header{"Cookie": {sessionCookie + "=" + f.login("agen").cookie.Value}, "Origin": {"https://evil.example"}}
	if c, resp, err := dialWS(ts, "", h); err == nil {
		c.Close()
		t.Error("a foreign origin opened the websocket")
	} else if resp == nil || resp.StatusCode != 403 {
		t.Errorf("foreign origin: %s", respText(resp))
	}

	agentSess, leadSess := f.login("agen"), f.login("lead")
	agent, resp, err := dialAs(agentSess)
	if err != nil {
		t.Fatalf("agent: %v %s", err, respText(resp))
	}
	defer agent.Close()
	lead, resp, err := dialAs(leadSess)
	if err != nil {
		t.Fatalf("lead: %v %s", err, respText(resp))
	}
	defer lead.Close()
	waitFor(t, "both clients live", 5*time.Second, func() bool { return ts.hub.clientCount() == 2 })

	if _, err := f.st.Audit(store.AuditEntry{User: "lead", Action: "login.failed", Detail: "from 192.0.2.9"}); err != nil {
		t.Fatal(err)
	}
	ingest(t, f.st, mention("w1", "halo"))
	mentionSeq := lastSeq(t, f.st)
	e, err := readEvent(agent, 5*time.Second)
	if err != nil || e.Type != store.EventMentionNew {
		t.Errorf("agent's first frame: %+v %v (the audit entry must be left out)", e, err)
	}
	e, err = readEvent(lead, 5*time.Second)
	if err != nil || e.Type != store.EventAudit {
		t.Errorf("lead's first frame: %+v %v, want the audit entry", e, err)
	}

	// Catching up from the start leaves the audit entries out too.
	late, resp, err := dialWS(ts, "0", http.Header{"Cookie": {sessionCookie + "=" + f.login("agen").cookie.Value}})
	if err != nil {
		t.Fatalf("late agent: %v %s", err, respText(resp))
	}
	defer late.Close()
	for seen := uint64(0); seen < mentionSeq; {
		e, err := readEvent(late, 5*time.Second)
		if err != nil {
			t.Fatalf("backlog: %v", err)
		}
		if e.Type == store.EventAudit {
			t.Errorf("backlog sent an audit event to an agent: %+v", e)
		}
		seen = e.Seq
	}

	// Logging out elsewhere ends the live stream within a ping period.
	if w := f.request("POST", "/api/logout", "", agentSess); w.Code != 204 {
		t.Fatal(w.Code)
	}
	agent.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		_, _, err := agent.ReadMessage()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != closeSessionEnded {
			t.Errorf("after logout: %v, want close %d", err, closeSessionEnded)
		}
		break
	}
}
