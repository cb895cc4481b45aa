package typegraph

import (
	"reflect"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

func TestRulesVisits(t *testing.T) {
	type fields struct {
		Plain     int
		JSONSkip  int `json:"-"`
		MPSkip    int `msgpack:"-"`
		JSONName  int `json:"name,omitempty"`
		MPOver    int `msgpack:"kept" json:"-"`
		MPSkipOpt int `msgpack:"-,omitempty"`
		unexp     int
		time.Time // embedded
	}
	want := map[string][2]bool{ // json, msgpack
		"Plain": {true, true}, "JSONSkip": {false, false}, "MPSkip": {true, false}, "JSONName": {true, true},
		"MPOver": {false, true}, "MPSkipOpt": {true, false}, "unexp": {false, false}, "Time": {true, true},
	}
	_ = fields{}.unexp // declared to be skipped
	typ := reflect.TypeFor[fields]()
	for i := range typ.NumField() {
		sf := typ.Field(i)
		for j, r := range []Rules{{}, {Msgpack: true}} {
			if got := r.Visits(sf); got != want[sf.Name][j] {
				t.Errorf("%s, msgpack rules %v: visited = %v, want %v", sf.Name, r.Msgpack, got, want[sf.Name][j])
			}
		}
	}
}

type list struct{ Next *list }

type viaMap struct{ M map[string]*viaMap }

type holder struct {
	Times []time.Time
	D     decimal.Decimal
}

func TestReachesAndMayCycle(t *testing.T) {
	isTime := func(t reflect.Type) bool { return t == timeType }
	noLeaf := func(reflect.Type) bool { return false }
	for _, tc := range []struct {
		typ                reflect.Type
		reachesTime, cycle bool
	}{
		{reflect.TypeFor[holder](), true, false},
		{reflect.TypeFor[map[time.Time]int](), true, false},
		{reflect.TypeFor[*list](), false, true},
		{reflect.TypeFor[viaMap](), false, true},
		{reflect.TypeFor[[]any](), false, true},
		{reflect.TypeFor[[3]int](), false, false},
	} {
		if got := Reaches(tc.typ, Rules{}, noLeaf, isTime); got != tc.reachesTime {
			t.Errorf("%s: Reaches(time) = %v, want %v", tc.typ, got, tc.reachesTime)
		}
		if got := MayCycle(tc.typ, Rules{Msgpack: true}, MsgpackEncodeLeaf); got != tc.cycle {
			t.Errorf("%s: MayCycle = %v, want %v", tc.typ, got, tc.cycle)
		}
	}
	// A leaf stops the search: the codec hands a sealed value to its own method.
	outer := reflect.TypeFor[struct{ S sealed }]()
	if !Reaches(outer, Rules{}, noLeaf, isTime) {
		t.Error("without leaves, Reaches does not find the time inside sealed")
	}
	for name, leaf := range map[string]func(reflect.Type) bool{
		"msgpack encode": MsgpackEncodeLeaf, "msgpack decode": DecodeLeaf(true), "json decode": DecodeLeaf(false),
	} {
		if Reaches(outer, Rules{}, leaf, isTime) {
			t.Errorf("%s: Reaches looked inside a type with its own method", name)
		}
	}
}

// sealed encodes and decodes itself, in both codecs (the decoders through its pointer).
type sealed struct{ At time.Time }

func (sealed) MarshalBinary() ([]byte, error) { return nil, nil }
func (*sealed) UnmarshalBinary([]byte) error  { return nil }
func (*sealed) UnmarshalJSON([]byte) error    { return nil }

func TestFilterCachesPerType(t *testing.T) {
	calls := 0
	f := NewFilter(func(t reflect.Type) bool { calls++; return t.Kind() == reflect.Map })
	for range 3 {
		if !f.Relevant(reflect.TypeFor[map[int]int]()) || f.Relevant(reflect.TypeFor[int]()) {
			t.Fatal("wrong answer")
		}
	}
	if calls != 2 {
		t.Errorf("test ran %d times for 2 types", calls)
	}
}
