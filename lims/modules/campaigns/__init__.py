"""Campaigns: crews, sites, capacity, visits from plans, bookings into capacity, recall and coverage."""
