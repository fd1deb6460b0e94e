-- One index fewer for every order to write: a producer's bookings over a range (the
-- only query that used this index, for staff's schedule pages) are read off the
-- covering `bookings_active_window` range instead, which holds the producer's id; the
-- range is bounded (see the overlap queries), a month a few thousand index entries.
-- Writing this index was about a tenth of SQLite's writer's time under orders.
DROP INDEX bookings_producer_window;
