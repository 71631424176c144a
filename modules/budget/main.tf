# A monthly billing budget on the environment's project with threshold alerts to email channels.
# Budgets alert; they never cap spend. The Budget API is called with the provider's billing project
# (user credentials need one: see the root's provider block).

data "google_project" "this" {
  project_id = var.project_id
}

resource "google_monitoring_notification_channel" "email" {
  for_each = toset(var.notify_emails)

  project      = var.project_id
  display_name = "sciplat ${var.environment} budget: ${each.value}"
  type         = "email"
  labels       = { email_address = each.value }
  user_labels  = var.labels
}

resource "google_billing_budget" "this" {
  billing_account = var.billing_account
  display_name    = "sciplat ${var.environment}"

  budget_filter {
    projects        = ["projects/${data.google_project.this.number}"]
    calendar_period = "MONTH"
  }

  amount {
    specified_amount {
      currency_code = "USD"
      units         = tostring(ceil(var.amount_usd))
    }
  }

  dynamic "threshold_rules" {
    for_each = var.thresholds_percent
    content {
      threshold_percent = threshold_rules.value / 100
      spend_basis       = "CURRENT_SPEND"
    }
  }

  dynamic "threshold_rules" {
    for_each = var.forecast_percent == null ? [] : [var.forecast_percent]
    content {
      threshold_percent = threshold_rules.value / 100
      spend_basis       = "FORECASTED_SPEND"
    }
  }

  all_updates_rule {
    monitoring_notification_channels = [for c in google_monitoring_notification_channel.email : c.id]
    disable_default_iam_recipients   = false
  }
}
