output "budget_id" {
  description = "Resource name of the budget (billingAccounts/.../budgets/...)."
  value       = google_billing_budget.this.name
}

output "amount_usd" {
  description = "The monthly amount of the budget in whole US dollars."
  value       = ceil(var.amount_usd)
}

output "notification_channels" {
  description = "Ids of the email notification channels the alerts go to."
  value       = [for c in google_monitoring_notification_channel.email : c.id]
}
