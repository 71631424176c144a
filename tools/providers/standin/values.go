package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// checkAllowedValues reports every known string attribute of the configuration whose value is
// not one the provider accepts, with its attribute path so Terraform can point at the line.
func checkAllowedValues(block jsonBlock, v tftypes.Value, path *tftypes.AttributePath) []*tfprotov6.Diagnostic {
	if v.IsNull() || !v.IsKnown() {
		return nil
	}
	var fields map[string]tftypes.Value
	if err := v.As(&fields); err != nil {
		return nil
	}
	var diags []*tfprotov6.Diagnostic
	for _, name := range sortedKeys(block.Attributes) {
		allowed := block.Attributes[name].AllowedValues
		val, ok := fields[name]
		if len(allowed) == 0 || !ok || val.IsNull() || !val.IsKnown() || !val.Type().Is(tftypes.String) {
			continue
		}
		var s string
		if err := val.As(&s); err != nil || slices.Contains(allowed, s) {
			continue
		}
		quoted := make([]string, len(allowed))
		for i, a := range allowed {
			quoted[i] = fmt.Sprintf("%q", a)
		}
		diags = append(diags, &tfprotov6.Diagnostic{
			Severity:  tfprotov6.DiagnosticSeverityError,
			Summary:   "Invalid value",
			Detail:    fmt.Sprintf("expected %s to be one of [%s], got %s", name, strings.Join(quoted, " "), s),
			Attribute: path.WithAttributeName(name),
		})
	}
	for _, name := range sortedKeys(block.BlockTypes) {
		bt := block.BlockTypes[name]
		val, ok := fields[name]
		if !ok || val.IsNull() || !val.IsKnown() {
			continue
		}
		at := path.WithAttributeName(name)
		switch bt.NestingMode {
		case "single", "group":
			diags = append(diags, checkAllowedValues(bt.Block, val, at)...)
		case "list":
			var elems []tftypes.Value
			if val.As(&elems) == nil {
				for i, e := range elems {
					diags = append(diags, checkAllowedValues(bt.Block, e, at.WithElementKeyInt(i))...)
				}
			}
		case "set":
			var elems []tftypes.Value
			if val.As(&elems) == nil {
				for _, e := range elems {
					diags = append(diags, checkAllowedValues(bt.Block, e, at.WithElementKeyValue(e))...)
				}
			}
		case "map":
			var elems map[string]tftypes.Value
			if val.As(&elems) == nil {
				for _, k := range sortedKeys(elems) {
					diags = append(diags, checkAllowedValues(bt.Block, elems[k], at.WithElementKeyString(k))...)
				}
			}
		}
	}
	return diags
}

func (s *server) checkConfig(block jsonBlock, schema *tfprotov6.Schema, config *tfprotov6.DynamicValue) []*tfprotov6.Diagnostic {
	if config == nil {
		return nil
	}
	value, err := config.Unmarshal(schema.Block.ValueType())
	if err != nil {
		return errorDiag("Cannot read configuration", err.Error())
	}
	return checkAllowedValues(block, value, tftypes.NewAttributePath())
}
