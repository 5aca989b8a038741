package store

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func openAuthStore(t *testing.T) *Store {
	t.Helper()
	st, err := Open(filepath.Join(t.TempDir(), "pantau.db"), Options{Now: func() time.Time { return time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestSessionsSurviveReopenAndEnd(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pantau.db")
	st, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)
	h1, h2 := []byte("hash-one-32-bytes-long-xxxxxxxxx"), []byte("hash-two-32-bytes-long-xxxxxxxxx")
	if err := st.CreateSession(h1, Session{User: "sari", Stamp: "s1", CSRF: "c1", Created: at, LastSeen: at}, AuditEntry{User: "sari", Action: "login"}); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateSession(h2, Session{User: "budi", Stamp: "s2", Created: at, LastSeen: at}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	st, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s, found, err := st.Session(h1)
	if err != nil || !found || s.User != "sari" || s.CSRF != "c1" {
		t.Fatalf("after reopen: %+v %v %v", s, found, err)
	}
	later := at.Add(time.Hour)
	if err := st.TouchSession(h1, later); err != nil {
		t.Fatal(err)
	}
	if s, _, _ := st.Session(h1); !s.LastSeen.Equal(later) {
		t.Errorf("touch: %v", s.LastSeen)
	}
	n, err := st.DeleteSessions(func(s Session) bool { return s.User == "budi" })
	if err != nil || n != 1 {
		t.Errorf("delete budi's: %d %v", n, err)
	}
	if _, found, _ := st.Session(h2); found {
		t.Error("budi's session survived")
	}
	if ok, err := st.DeleteSession(h1, AuditEntry{User: "sari", Action: "logout"}); !ok || err != nil {
		t.Errorf("logout: %v %v", ok, err)
	}
	if ok, _ := st.DeleteSession(h1, AuditEntry{User: "sari", Action: "logout"}); ok {
		t.Error("a second logout found the session")
	}
	es, _ := st.AuditLog(0, 10)
	if len(es) != 2 || es[0].Action != "logout" || es[1].Action != "login" {
		t.Errorf("audit %+v (a logout of no session must not be audited)", es)
	}
}

func TestAuditLogPagesAndIndexesTargets(t *testing.T) {
	st := openAuthStore(t)
	for i, e := range []AuditEntry{
		{User: "a", Action: "mention.assign", Target: "rss:1"},
		{User: "b", Action: "mention.resolved", Target: "rss:10", Detail: "other mention sharing a prefix"},
		{User: "a", Action: "mention.private", Target: "rss:1", Detail: "DM"},
		{User: "c", Action: "login"},
		{User: "a", Action: "mention.resolved", Target: "rss:1", Detail: strings.Repeat("x", 10000)},
	} {
		out, err := st.Audit(e)
		if err != nil || out[0].Seq != uint64(i+1) {
			t.Fatalf("audit %d: %+v %v", i, out, err)
		}
	}
	all, _ := st.AuditLog(0, 100)
	if len(all) != 5 || all[0].Seq != 5 || all[4].Seq != 1 {
		t.Fatalf("newest first: %+v", all)
	}
	if len(all[0].Detail) > maxAuditDetail+10 {
		t.Errorf("detail not bounded: %d bytes", len(all[0].Detail))
	}
	page, _ := st.AuditLog(3, 10)
	if len(page) != 2 || page[0].Seq != 2 || page[1].Seq != 1 {
		t.Errorf("before 3: %+v", page)
	}
	if page, _ := st.AuditLog(100, 2); len(page) != 2 || page[0].Seq != 5 {
		t.Errorf("before past the end: %+v", page)
	}
	if page, _ := st.AuditLog(1, 10); len(page) != 0 {
		t.Errorf("before the first: %+v", page)
	}
	for1, _ := st.AuditFor("rss:1", 10)
	if len(for1) != 3 || for1[0].Action != "mention.assign" || for1[2].Action != "mention.resolved" {
		t.Errorf("rss:1 oldest first, without rss:10: %+v", for1)
	}
	if last2, _ := st.AuditFor("rss:1", 2); len(last2) != 2 || last2[0].Action != "mention.private" {
		t.Errorf("the newest two: %+v", last2)
	}
	evs, _ := st.EventsSince(0, 100)
	if len(evs) != 5 || evs[0].Type != EventAudit || !strings.Contains(string(evs[0].Data), `"mention.assign"`) {
		t.Errorf("audit events: %d %+v", len(evs), evs[0])
	}
}

func TestAuditMarkCommitsWithEntries(t *testing.T) {
	st := openAuthStore(t)
	if v, _ := st.AuditMark("users_file"); v != "" {
		t.Errorf("unset mark %q", v)
	}
	if err := st.AuditMarked([]AuditEntry{{User: "cli:root", Action: "user.add", Target: "user:sari"}}, "users_file", "id:1"); err != nil {
		t.Fatal(err)
	}
	if v, _ := st.AuditMark("users_file"); v != "id:1" {
		t.Errorf("mark %q", v)
	}
	if es, _ := st.AuditLog(0, 10); len(es) != 1 {
		t.Errorf("%d entries", len(es))
	}
}
