package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

const testSchema = `{
  "address": "registry.terraform.io/acme/widgets",
  "provider_version": "1.2.3",
  "provider": {"version": 0, "block": {"attributes": {"region": {"type": "string", "optional": true}}}},
  "resource_schemas": {
    "acme_widget": {"version": 0, "block": {
      "attributes": {
        "id": {"type": "string", "optional": true, "computed": true},
        "name": {"type": "string", "required": true},
        "self_link": {"type": "string", "computed": true},
        "tags": {"type": ["set", "string"], "optional": true},
        "mode": {"type": "string", "optional": true, "allowed_values": ["STANDARD", "REMOTE"]},
        "meta": {"nested_type": {"nesting_mode": "single", "attributes": {"a": {"type": "string", "optional": true}}}, "optional": true}
      },
      "block_types": {
        "spec": {"nesting_mode": "list", "max_items": 1, "block": {"attributes": {
          "size": {"type": "number", "required": true},
          "tier": {"type": "string", "optional": true, "allowed_values": ["GOLD"]},
          "phase": {"type": "string", "computed": true}
        }}}
      }
    }}
  },
  "data_source_schemas": {
    "acme_zone": {"version": 0, "block": {"attributes": {"name": {"type": "string", "required": true}}}}
  }
}`

func loadTestSchema(t *testing.T) *providerSchema {
	t.Helper()
	path := filepath.Join(t.TempDir(), "schema.json")
	if err := os.WriteFile(path, []byte(testSchema), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := loadSchema(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestLoadSchemaConvertsAttributesBlocksAndNestedTypes(t *testing.T) {
	s := loadTestSchema(t)
	if s.address != "registry.terraform.io/acme/widgets" {
		t.Fatalf("address %q", s.address)
	}
	block := s.resources["acme_widget"].Block
	names := map[string]*tfprotov6.SchemaAttribute{}
	for _, a := range block.Attributes {
		names[a.Name] = a
	}
	if !names["name"].Required || !names["self_link"].Computed || names["self_link"].Optional {
		t.Fatalf("flags lost: %+v %+v", names["name"], names["self_link"])
	}
	if !names["tags"].Type.Equal(tftypes.Set{ElementType: tftypes.String}) {
		t.Fatalf("tags type %v", names["tags"].Type)
	}
	if names["meta"].NestedType == nil || names["meta"].NestedType.Nesting != tfprotov6.SchemaObjectNestingModeSingle {
		t.Fatalf("meta nested type %+v", names["meta"].NestedType)
	}
	if len(block.BlockTypes) != 1 || block.BlockTypes[0].MaxItems != 1 || block.BlockTypes[0].Nesting != tfprotov6.SchemaNestedBlockNestingModeList {
		t.Fatalf("spec block %+v", block.BlockTypes)
	}
	if _, ok := s.dataSources["acme_zone"]; !ok {
		t.Fatal("data source missing")
	}
}

func TestLoadSchemaRejectsAnUnknownNestingMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "schema.json")
	bad := `{"provider": {"block": {}}, "resource_schemas": {"x": {"block": {"block_types": {"b": {"nesting_mode": "tree", "block": {}}}}}}}`
	if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := loadSchema(path); err == nil {
		t.Fatal("expected an error for nesting mode tree")
	}
}

func TestPlanMarksUnsetComputedAttributesUnknown(t *testing.T) {
	s := loadTestSchema(t)
	srv := &server{schema: s}
	schema := s.resources["acme_widget"]
	typ := schema.Block.ValueType().(tftypes.Object)
	specType := typ.AttributeTypes["spec"].(tftypes.List).ElementType.(tftypes.Object)
	proposed := tftypes.NewValue(typ, map[string]tftypes.Value{
		"id":        tftypes.NewValue(tftypes.String, nil),
		"name":      tftypes.NewValue(tftypes.String, "w"),
		"self_link": tftypes.NewValue(tftypes.String, nil),
		"tags":      tftypes.NewValue(tftypes.Set{ElementType: tftypes.String}, nil),
		"mode":      tftypes.NewValue(tftypes.String, "REMOTE"),
		"meta":      tftypes.NewValue(typ.AttributeTypes["meta"], nil),
		"spec": tftypes.NewValue(typ.AttributeTypes["spec"], []tftypes.Value{
			tftypes.NewValue(specType, map[string]tftypes.Value{
				"size":  tftypes.NewValue(tftypes.Number, 3),
				"tier":  tftypes.NewValue(tftypes.String, nil),
				"phase": tftypes.NewValue(tftypes.String, nil),
			}),
		}),
	})
	dv, err := tfprotov6.NewDynamicValue(typ, proposed)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.PlanResourceChange(context.Background(), &tfprotov6.PlanResourceChangeRequest{
		TypeName: "acme_widget", ProposedNewState: &dv, Config: &dv,
	})
	if err != nil || len(resp.Diagnostics) > 0 {
		t.Fatalf("plan failed: %v %v", err, resp.Diagnostics)
	}
	planned, err := resp.PlannedState.Unmarshal(typ)
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]tftypes.Value
	if err := planned.As(&fields); err != nil {
		t.Fatal(err)
	}
	if fields["self_link"].IsKnown() || fields["id"].IsKnown() {
		t.Fatal("unset computed attributes must be unknown")
	}
	if !fields["tags"].IsNull() || !fields["meta"].IsKnown() {
		t.Fatal("optional, non-computed attributes stay as configured")
	}
	var specs []tftypes.Value
	if err := fields["spec"].As(&specs); err != nil {
		t.Fatal(err)
	}
	var spec map[string]tftypes.Value
	if err := specs[0].As(&spec); err != nil {
		t.Fatal(err)
	}
	if spec["phase"].IsKnown() {
		t.Fatal("computed attributes inside blocks must be unknown too")
	}
	if !spec["size"].Equal(tftypes.NewValue(tftypes.Number, 3)) {
		t.Fatalf("configured value changed: %v", spec["size"])
	}
}

func TestUnknownTypesAndApplyAreErrors(t *testing.T) {
	srv := &server{schema: loadTestSchema(t)}
	ctx := context.Background()
	v, _ := srv.ValidateResourceConfig(ctx, &tfprotov6.ValidateResourceConfigRequest{TypeName: "acme_gadget"})
	if len(v.Diagnostics) != 1 {
		t.Fatal("an unknown resource type must be an error")
	}
	d, _ := srv.ValidateDataResourceConfig(ctx, &tfprotov6.ValidateDataResourceConfigRequest{TypeName: "acme_nothing"})
	if len(d.Diagnostics) != 1 {
		t.Fatal("an unknown data source must be an error")
	}
	a, _ := srv.ApplyResourceChange(ctx, &tfprotov6.ApplyResourceChangeRequest{TypeName: "acme_widget"})
	if len(a.Diagnostics) != 1 || a.Diagnostics[0].Severity != tfprotov6.DiagnosticSeverityError {
		t.Fatal("the stand-in must refuse to apply")
	}
	m, _ := srv.GetMetadata(ctx, &tfprotov6.GetMetadataRequest{})
	if len(m.Resources) != 1 || m.Resources[0].TypeName != "acme_widget" || len(m.DataSources) != 1 {
		t.Fatalf("metadata %+v", m)
	}
}

func widgetConfig(t *testing.T, s *providerSchema, mode, tier string) *tfprotov6.DynamicValue {
	t.Helper()
	typ := s.resources["acme_widget"].Block.ValueType().(tftypes.Object)
	specType := typ.AttributeTypes["spec"].(tftypes.List).ElementType.(tftypes.Object)
	v := tftypes.NewValue(typ, map[string]tftypes.Value{
		"id":        tftypes.NewValue(tftypes.String, nil),
		"name":      tftypes.NewValue(tftypes.String, "w"),
		"self_link": tftypes.NewValue(tftypes.String, nil),
		"tags":      tftypes.NewValue(tftypes.Set{ElementType: tftypes.String}, nil),
		"mode":      tftypes.NewValue(tftypes.String, mode),
		"meta":      tftypes.NewValue(typ.AttributeTypes["meta"], nil),
		"spec": tftypes.NewValue(typ.AttributeTypes["spec"], []tftypes.Value{
			tftypes.NewValue(specType, map[string]tftypes.Value{
				"size":  tftypes.NewValue(tftypes.Number, 1),
				"phase": tftypes.NewValue(tftypes.String, nil),
				"tier":  tftypes.NewValue(tftypes.String, tier),
			}),
		}),
	})
	dv, err := tfprotov6.NewDynamicValue(typ, v)
	if err != nil {
		t.Fatal(err)
	}
	return &dv
}

func TestValidateRejectsValuesTheProviderDoesNotAccept(t *testing.T) {
	s := loadTestSchema(t)
	srv := &server{schema: s}
	ctx := context.Background()
	ok, _ := srv.ValidateResourceConfig(ctx, &tfprotov6.ValidateResourceConfigRequest{
		TypeName: "acme_widget", Config: widgetConfig(t, s, "REMOTE", "GOLD"),
	})
	if len(ok.Diagnostics) != 0 {
		t.Fatalf("accepted values reported: %v", ok.Diagnostics[0])
	}
	bad, _ := srv.ValidateResourceConfig(ctx, &tfprotov6.ValidateResourceConfigRequest{
		TypeName: "acme_widget", Config: widgetConfig(t, s, "REMOTE_REPOSITORY", "SILVER"),
	})
	if len(bad.Diagnostics) != 2 {
		t.Fatalf("want 2 diagnostics, got %d", len(bad.Diagnostics))
	}
	if got := bad.Diagnostics[0].Detail; got != `expected mode to be one of ["STANDARD" "REMOTE"], got REMOTE_REPOSITORY` {
		t.Fatalf("detail %q", got)
	}
	want := tftypes.NewAttributePath().WithAttributeName("spec").WithElementKeyInt(0).WithAttributeName("tier")
	if !bad.Diagnostics[1].Attribute.Equal(want) {
		t.Fatalf("path %v", bad.Diagnostics[1].Attribute)
	}
}
