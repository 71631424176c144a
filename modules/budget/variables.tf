variable "project_id" {
  description = "Google Cloud project whose spend the budget watches (and that holds the notification channels)."
  type        = string

  validation {
    condition     = length(var.project_id) >= 6
    error_message = "project_id must be a Google Cloud project id."
  }
}

variable "environment" {
  description = "Environment name, in the budget's and the channels' display names."
  type        = string
}

variable "billing_account" {
  description = "Billing account id that pays for the project (XXXXXX-XXXXXX-XXXXXX)."
  type        = string

  validation {
    condition     = can(regex("^[0-9A-F]{6}-[0-9A-F]{6}-[0-9A-F]{6}$", var.billing_account))
    error_message = "billing_account must look like 012345-6789AB-CDEF01."
  }
}

variable "amount_usd" {
  description = "Monthly budget in US dollars (the capacity plan's monthly cost times the margin, or a fixed amount)."
  type        = number

  validation {
    condition     = var.amount_usd > 0
    error_message = "amount_usd must be positive."
  }
}

variable "thresholds_percent" {
  description = "Alert when actual spend in the month crosses these shares of the budget, in percent."
  type        = list(number)
  default     = [50, 90, 100]

  validation {
    condition     = length(var.thresholds_percent) > 0 && alltrue([for t in var.thresholds_percent : t > 0 && t <= 1000])
    error_message = "thresholds_percent needs at least one share, each above 0 and at most 1000."
  }
}

variable "forecast_percent" {
  description = "Also alert when forecast spend crosses this share of the budget; null = no forecast alert."
  type        = number
  default     = 100
}

variable "notify_emails" {
  description = "Addresses alerted through Cloud Monitoring email channels (one channel each)."
  type        = list(string)

  validation {
    condition     = length(var.notify_emails) > 0 && alltrue([for e in var.notify_emails : can(regex("^[^@ ]+@[^@ ]+\\.[A-Za-z]{2,}$", e))])
    error_message = "notify_emails needs at least one email address."
  }
}

variable "labels" {
  description = "Labels of the notification channels."
  type        = map(string)
  default     = {}
}
