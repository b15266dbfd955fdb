-- An organization may buy up to 1,000,000 seats (the members list is read by
-- index whatever the organization's size; scripts/bench measures it at 10,000,
-- 100,000 and 1,000,000 members).
ALTER TABLE organizations DROP CONSTRAINT organizations_seats_purchased_check;
ALTER TABLE organizations ADD CONSTRAINT organizations_seats_purchased_check
    CHECK (seats_purchased BETWEEN 1 AND 1000000);
