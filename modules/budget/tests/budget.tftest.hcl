# Plan-level behaviour of the budget module against the google provider's schema (mocked).

mock_provider "google" {}

override_data {
  target = data.google_project.this
  values = {
    number = "123456789012"
  }
}

variables {
  project_id         = "sciplat-test"
  environment        = "test"
  billing_account    = "012345-6789AB-CDEF01"
  amount_usd         = 12699.2
  thresholds_percent = [50, 90, 100]
  forecast_percent   = 100
  notify_emails      = ["platform-team@example.org", "oncall@example.org"]
}

run "budget_on_the_project" {
  command = plan

  assert {
    condition     = google_billing_budget.this.amount[0].specified_amount[0].units == "12700" && google_billing_budget.this.amount[0].specified_amount[0].currency_code == "USD"
    error_message = "the amount is rounded up to whole dollars"
  }
  assert {
    condition     = jsonencode(tolist(google_billing_budget.this.budget_filter[0].projects)) == jsonencode(["projects/123456789012"])
    error_message = "the budget watches the environment's project"
  }
  assert {
    condition     = google_billing_budget.this.budget_filter[0].calendar_period == "MONTH"
    error_message = "month by month"
  }
  assert {
    condition     = [for r in google_billing_budget.this.threshold_rules : "${r.spend_basis}:${r.threshold_percent}"] == ["CURRENT_SPEND:0.5", "CURRENT_SPEND:0.9", "CURRENT_SPEND:1", "FORECASTED_SPEND:1"]
    error_message = "one alert per threshold of actual spend, and one on the forecast"
  }
  assert {
    condition     = length(google_monitoring_notification_channel.email) == 2 && google_monitoring_notification_channel.email["oncall@example.org"].labels.email_address == "oncall@example.org"
    error_message = "one email channel per address"
  }
}

run "no_forecast_alert" {
  command = plan

  variables {
    forecast_percent = null
  }

  assert {
    condition     = length([for r in google_billing_budget.this.threshold_rules : r if r.spend_basis == "FORECASTED_SPEND"]) == 0
    error_message = "no forecast rule when forecast_percent is null"
  }
}

run "rejects_a_malformed_billing_account" {
  command = plan

  variables {
    billing_account = "billing-123"
  }

  expect_failures = [var.billing_account]
}
