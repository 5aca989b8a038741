package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// writeV1File writes a store as version 1 of the layout left it: every
// bucket of that version, schema byte 1, and engagement samples with no
// time index.
func writeV1File(t *testing.T, path string, samples map[string]time.Time) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketMentions, bucketBySeen, bucketChildren, bucketSamples, bucketAlerts, bucketSources, bucketEvents, bucketMeta, bucketOutbox, bucketOutboxQueue, bucketOutboxCursor} {
			if _, err := tx.CreateBucket(name); err != nil {
				return err
			}
		}
		for key, at := range samples {
			if err := tx.Bucket(bucketSamples).Put(sampleKey(key, at), []byte(`{"at":"`+at.Format(time.RFC3339)+`"}`)); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketMeta).Put(keySchema, []byte{1})
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
}

func TestOpenMigratesAVersion1File(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	old := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	young := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	writeV1File(t, path, map[string]time.Time{"rss:a": old, "rss:b": young})

	st, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var version []byte
	var indexed int
	st.db.View(func(tx *bolt.Tx) error {
		version = append(version, tx.Bucket(bucketMeta).Get(keySchema)...)
		indexed = tx.Bucket(bucketSamplesByAt).Stats().KeyN
		return nil
	})
	if len(version) != 1 || int(version[0]) != SchemaVersion() {
		t.Fatalf("schema after open = %v, want %d", version, SchemaVersion())
	}
	if indexed != 2 {
		t.Fatalf("migration indexed %d samples, want 2", indexed)
	}
	// The index the migration built is the one retention uses.
	n, err := st.Prune(context.Background(), RetainSamples, time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), 0)
	if err != nil || n != 1 {
		t.Fatalf("pruned %d samples (%v), want the 1 old one", n, err)
	}
	if s, _ := st.Samples("rss:a"); len(s) != 0 {
		t.Errorf("old sample still there: %v", s)
	}
	if s, _ := st.Samples("rss:b"); len(s) != 1 {
		t.Errorf("young sample gone")
	}
}

func TestOpenRefusesANewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "future.db")
	writeV1File(t, path, nil)
	db, _ := bolt.Open(path, 0o600, nil)
	db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keySchema, []byte{byte(SchemaVersion() + 1)})
	})
	db.Close()
	before, _ := os.ReadFile(path)

	_, err := Open(path, Options{})
	if !errors.Is(err, ErrSchemaTooNew) || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("open newer file: %v, want ErrSchemaTooNew", err)
	}
	if _, err := VerifyFile(path, time.Second); !errors.Is(err, ErrSchemaTooNew) {
		t.Fatalf("verify newer file: %v", err)
	}
	after, _ := os.ReadFile(path)
	if string(before) != string(after) {
		t.Error("refusing the file changed it")
	}
}

func TestVerifyFileRefusesWhatIsNotAStore(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.db")
	os.WriteFile(junk, []byte(strings.Repeat("not a database ", 1000)), 0o600)
	if _, err := VerifyFile(junk, time.Second); err == nil || !strings.Contains(err.Error(), "not a readable bbolt file") {
		t.Errorf("junk: %v", err)
	}
	other := filepath.Join(dir, "other.db")
	db, _ := bolt.Open(other, 0o600, nil)
	db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("x")); return err })
	db.Close()
	if _, err := VerifyFile(other, time.Second); err == nil || !strings.Contains(err.Error(), "not a Pantau store") {
		t.Errorf("foreign bbolt file: %v", err)
	}
}

func TestPruneDeletesOnlyOldRecordsOfTheNamedKind(t *testing.T) {
	c := newClock()
	st, _ := openTest(t, c)
	ctx := context.Background()
	// Old data, seen at the clock's start.
	old := []Mention{mention("old1", "a"), mention("old2", "b")}
	old[1].ReplyTo = "rss:old1"
	if _, err := st.Ingest(Batch{Source: "news", Kind: "rss", Mentions: old,
		Samples: []MentionSample{{Key: "rss:old1", Sample: Sample{Likes: ptr[int64](1)}}}}); err != nil {
		t.Fatal(err)
	}
	st.PutAlert(Alert{ID: "resolved-old", State: AlertResolved, UpdatedAt: c.Now()})
	st.PutAlert(Alert{ID: "open-old", State: AlertOpen, UpdatedAt: c.Now()})
	// A bucket retention does not know (like the hourly rollups) keeps
	// everything.
	st.db.Update(func(tx *bolt.Tx) error {
		b, _ := tx.CreateBucketIfNotExists([]byte("rollup_hourly"))
		return b.Put([]byte("2026-11-02T09"), []byte("{}"))
	})
	cutoff := c.Now().Add(time.Hour)
	c.Add(48 * time.Hour)
	if _, err := st.Ingest(Batch{Source: "news", Kind: "rss", Mentions: []Mention{mention("young", "c")},
		Samples: []MentionSample{{Key: "rss:young", Sample: Sample{Likes: ptr[int64](2)}}}}); err != nil {
		t.Fatal(err)
	}
	lastSeq, _ := st.LastSeq()

	// A batch of 1 forces many small transactions.
	for _, kind := range RetentionKinds {
		if _, err := st.Prune(ctx, kind, cutoff, 1); err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
	}
	for _, k := range []string{"rss:old1", "rss:old2"} {
		if _, ok, _ := st.Mention(k); ok {
			t.Errorf("%s kept", k)
		}
	}
	if _, ok, _ := st.Mention("rss:young"); !ok {
		t.Error("young mention deleted")
	}
	if s, _ := st.Samples("rss:old1"); len(s) != 0 {
		t.Error("old samples kept")
	}
	if s, _ := st.Samples("rss:young"); len(s) != 1 {
		t.Error("young sample deleted")
	}
	if _, ok, _ := st.Alert("resolved-old"); ok {
		t.Error("old resolved alert kept")
	}
	if _, ok, _ := st.Alert("open-old"); !ok {
		t.Error("an open alert was deleted for its age")
	}
	evs, _ := st.EventsSince(0, 0)
	for _, e := range evs {
		if e.At.Before(cutoff) {
			t.Errorf("old event %d kept", e.Seq)
		}
	}
	if len(evs) == 0 {
		t.Error("young events deleted")
	}
	if seq, _ := st.LastSeq(); seq != lastSeq {
		t.Errorf("last seq %d after pruning, want %d (sequence numbers never go back)", seq, lastSeq)
	}
	st.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketChildren).Stats().KeyN != 0 {
			t.Error("thread link of a deleted mention kept")
		}
		if tx.Bucket(bucketSamplesByAt).Stats().KeyN != 1 {
			t.Error("sample index out of step with the samples")
		}
		if tx.Bucket([]byte("rollup_hourly")).Get([]byte("2026-11-02T09")) == nil {
			t.Error("retention deleted from a bucket it does not name")
		}
		return nil
	})
	if _, err := st.Prune(ctx, "rollups", cutoff, 0); err == nil {
		t.Error("an unknown kind was accepted")
	}
}

func TestAgeReadsDaysAndDurations(t *testing.T) {
	for in, want := range map[string]time.Duration{"30d": 30 * 24 * time.Hour, "12h": 12 * time.Hour, " 1d": 24 * time.Hour} {
		var a Age
		if err := a.UnmarshalText([]byte(in)); err != nil || time.Duration(a) != want {
			t.Errorf("%q: %v %v", in, time.Duration(a), err)
		}
	}
	for _, in := range []string{"0d", "-1d", "30 days", "0s", "d", ""} {
		var a Age
		if err := a.UnmarshalText([]byte(in)); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

func TestCompactKeepsEverythingAndSequences(t *testing.T) {
	c := newClock()
	dir := t.TempDir()
	path := filepath.Join(dir, "pantau.db")
	st, err := Open(path, Options{Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		st.Ingest(Batch{Source: "news", Kind: "rss", Mentions: []Mention{mention(string(rune('a'+i%26))+strings.Repeat("x", i), strings.Repeat("text ", 200))}})
	}
	seq, _ := st.LastSeq()
	st.Prune(context.Background(), RetainEvents, c.Now().Add(time.Hour), 0)
	// While it is open, compaction is refused as locked.
	if err := CompactFile(path, filepath.Join(dir, "x.db")); !IsLocked(err) {
		t.Fatalf("compact while open: %v, want a lock error", err)
	}
	st.Close()
	dst := filepath.Join(dir, "compact.db")
	if err := CompactFile(path, dst); err != nil {
		t.Fatal(err)
	}
	st2, err := Open(dst, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	if got, _ := st2.LastSeq(); got != seq {
		t.Errorf("event sequence %d after compaction, want %d", got, seq)
	}
	ms, _ := st2.Mentions(MentionQuery{Limit: 1000})
	if len(ms) != 50 {
		t.Errorf("%d mentions after compaction, want 50", len(ms))
	}
}

func TestWriteStatsCountCommitsNotAnswers(t *testing.T) {
	st, _ := openTest(t, newClock())
	if _, err := st.SetAlertState("missing", AlertResolved, "x"); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
	ws := st.WriteStats()
	if ws.Writes != 1 || ws.Failures != 0 || ws.Failing != nil {
		t.Fatalf("after a not-found answer: %+v", ws)
	}
}
