package store

import (
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The store's layout has a version, kept under "schema" in the meta bucket
// as one byte. A build knows the migrations up to its own version and runs
// the missing ones at Open, in order, each in its own transaction that
// also records the version it reaches: a crash between two migrations
// leaves a file at a known version, and the next Open goes on from there.
// A file written by a newer build is refused rather than misread.
type migration struct {
	to   byte
	name string
	run  func(tx *bolt.Tx) error
}

var migrations = []migration{
	{to: 2, name: "index engagement samples by time, so retention finds old ones without reading them all", run: backfillSampleIndex},
	{to: 3, name: "hourly rollups of the stored mentions, for the reputation history", run: buildRollups},
}

// SchemaVersion is the layout version this build writes.
func SchemaVersion() int { return int(migrations[len(migrations)-1].to) }

// ErrSchemaTooNew is returned for a store written by a newer Pantau.
var ErrSchemaTooNew = errors.New("store was written by a newer version of Pantau")

// readSchema returns the recorded version; found is false for a file
// that has none (a new file).
func readSchema(tx *bolt.Tx) (v int, found bool, err error) {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		return 0, false, errors.New("no meta bucket: not a Pantau store")
	}
	raw := meta.Get(keySchema)
	if raw == nil {
		return 0, false, nil
	}
	if len(raw) != 1 || raw[0] == 0 {
		return 0, true, fmt.Errorf("unreadable schema version %x", raw)
	}
	return int(raw[0]), true, nil
}

// refuseNewer fails for a file whose schema is newer than this build's.
func refuseNewer(db *bolt.DB) error {
	return db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketMeta) == nil {
			return nil // a new file
		}
		v, _, err := readSchema(tx)
		if err != nil {
			return err
		}
		if v > SchemaVersion() {
			return fmt.Errorf("%w: schema version %d, this build reads up to %d; run the newer pantau, or restore a backup made by this version", ErrSchemaTooNew, v, SchemaVersion())
		}
		return nil
	})
}

func migrate(db *bolt.DB) error {
	var v int
	var found bool
	if err := db.View(func(tx *bolt.Tx) (err error) {
		v, found, err = readSchema(tx)
		return err
	}); err != nil {
		return err
	}
	if !found {
		// A new file: every bucket was just created in the current layout.
		return db.Update(func(tx *bolt.Tx) error {
			return tx.Bucket(bucketMeta).Put(keySchema, []byte{byte(SchemaVersion())})
		})
	}
	if v > SchemaVersion() {
		return fmt.Errorf("%w: schema version %d, this build reads up to %d; run the newer pantau, or restore a backup made by this version", ErrSchemaTooNew, v, SchemaVersion())
	}
	for _, m := range migrations {
		if int(m.to) <= v {
			continue
		}
		err := db.Update(func(tx *bolt.Tx) error {
			if err := m.run(tx); err != nil {
				return err
			}
			return tx.Bucket(bucketMeta).Put(keySchema, []byte{m.to})
		})
		if err != nil {
			return fmt.Errorf("migrate schema %d -> %d (%s): %w", m.to-1, m.to, m.name, err)
		}
	}
	return nil
}

// Version 2: samples_by_at holds be(at) + sample key for every sample.
var bucketSamplesByAt = []byte("samples_by_at")

func sampleIndexKey(sampleKey []byte) []byte {
	// The sample key ends with be(at); put it first so keys sort by time.
	at := sampleKey[len(sampleKey)-8:]
	k := make([]byte, 0, len(sampleKey)+8)
	return append(append(k, at...), sampleKey...)
}

func indexSample(tx *bolt.Tx, mentionKey string, at time.Time) error {
	b := tx.Bucket(bucketSamplesByAt)
	b.FillPercent = appendOnlyFill
	return b.Put(sampleIndexKey(sampleKey(mentionKey, at)), nil)
}

func backfillSampleIndex(tx *bolt.Tx) error {
	idx, err := tx.CreateBucketIfNotExists(bucketSamplesByAt)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketSamples).ForEach(func(k, _ []byte) error {
		if len(k) < 9 {
			return nil // not a sample key; retention by age skips it
		}
		return idx.Put(sampleIndexKey(k), nil)
	})
}
