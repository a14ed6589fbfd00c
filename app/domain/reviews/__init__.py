"""Program reviews: as-is versus to-be options, on numbers a review team can defend."""
