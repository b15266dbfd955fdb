ALTER TABLE organizations DROP CONSTRAINT organizations_seats_purchased_check;
ALTER TABLE organizations ADD CONSTRAINT organizations_seats_purchased_check
    CHECK (seats_purchased BETWEEN 1 AND 100000);
