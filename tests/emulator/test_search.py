"""SearchContacts through real boto3: time ranges, sorting, paging, summaries and errors."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from gateway.emulator import DEMO_INSTANCE_ID
from gateway.emulator.protocol.model import connect_model
from gateway.emulator.protocol.validation import Rules, problems
from gateway.emulator.world.dataset import NOW
from tests.emulator.conftest import error_of
from tests.emulator.searching import DEMO, WINDOW, Record, search_all, timestamp, window

RANGE_TYPES = connect_model().shape_for("SearchContactsTimeRangeType").enum
SORT_FIELDS = connect_model().shape_for("SortableFieldName").enum


def ids(contacts: list[Record]) -> list[str]:
    return [contact["Id"] for contact in contacts]


@pytest.mark.parametrize("kind", RANGE_TYPES)
def test_each_time_range_type(connect: Any, kind: str) -> None:
    time_range = window(kind, NOW - timedelta(hours=30), NOW + timedelta(hours=30))
    found, total = search_all(connect, TimeRange=time_range)
    expected = {
        cid
        for cid, record in DEMO.contacts.items()
        if (moment := timestamp(record, kind)) is not None
        and time_range["StartTime"] <= moment <= time_range["EndTime"]
    }
    assert expected
    assert set(ids(found)) == expected
    assert total == len(expected) == len(found)


def test_both_ends_are_included(connect: Any) -> None:
    record = list(DEMO.contacts.values())[100]
    moment: datetime = record["InitiationTimestamp"]
    found, _ = search_all(connect, TimeRange=window("INITIATION_TIMESTAMP", moment, moment))
    assert record["Id"] in ids(found)
    later = moment + timedelta(milliseconds=1)
    found, _ = search_all(
        connect, TimeRange=window("INITIATION_TIMESTAMP", later, later + timedelta(hours=1))
    )
    assert record["Id"] not in ids(found)


def test_eight_weeks_at_most(connect: Any) -> None:
    longest = window("INITIATION_TIMESTAMP", NOW - timedelta(weeks=8), NOW)
    assert search_all(connect, TimeRange=longest)[1] == len(DEMO.contacts)
    too_long = window("INITIATION_TIMESTAMP", NOW - timedelta(weeks=8, seconds=1), NOW)
    code, message, status = error_of(
        connect.search_contacts, InstanceId=DEMO_INSTANCE_ID, TimeRange=too_long
    )
    assert (code, status) == ("InvalidParameterException", 400)
    assert message == "TimeRange must not span more than 8 weeks"


def test_inverted_ranges_are_refused(connect: Any) -> None:
    inverted = window("INITIATION_TIMESTAMP", NOW, NOW - timedelta(hours=1))
    assert error_of(connect.search_contacts, InstanceId=DEMO_INSTANCE_ID, TimeRange=inverted) == (
        "InvalidParameterException",
        "TimeRange.EndTime must not be before TimeRange.StartTime",
        400,
    )
    criteria = {
        "AdditionalTimeRange": {"Criteria": [{"TimeRange": inverted}], "MatchType": "MATCH_ALL"}
    }
    code, message, _ = error_of(
        connect.search_contacts,
        InstanceId=DEMO_INSTANCE_ID,
        TimeRange=WINDOW,
        SearchCriteria=criteria,
    )
    assert code == "InvalidParameterException"
    assert message.startswith("SearchCriteria.AdditionalTimeRange.Criteria[0].TimeRange.EndTime")


@pytest.mark.parametrize(
    ("params", "where"),
    [
        (
            {"TimeRange": window("CREATED_TIMESTAMP", NOW - timedelta(days=1), NOW)},
            "'TimeRange.Type'",
        ),
        (
            {"TimeRange": WINDOW, "Sort": {"FieldName": "NAME", "Order": "ASCENDING"}},
            "'Sort.FieldName'",
        ),
        (
            {"TimeRange": WINDOW, "SearchCriteria": {"Channels": ["FAX"]}},
            "'SearchCriteria.Channels[0]'",
        ),
        ({"TimeRange": WINDOW, "MaxResults": 101}, "'MaxResults'"),
        (
            {
                "TimeRange": WINDOW,
                "SearchCriteria": {"AiAgents": {"Criteria": [{"VersionNumber": 3}]}},
            },
            "Id is required",
        ),
    ],
)
def test_invalid_requests(connect: Any, params: dict[str, Any], where: str) -> None:
    code, message, status = error_of(connect.search_contacts, InstanceId=DEMO_INSTANCE_ID, **params)
    assert (code, status) == ("InvalidParameterException", 400)
    assert where in message


def test_unknown_instance(connect: Any) -> None:
    found = error_of(
        connect.search_contacts, InstanceId="00000000-0000-4000-8000-000000000000", TimeRange=WINDOW
    )
    assert found == ("ResourceNotFoundException", "Instance not found", 404)


def sort_value(record: Record, field: str) -> Any:
    if field == "CHANNEL":
        return record["Channel"]
    if field == "INITIATION_METHOD":
        return record["InitiationMethod"]
    if field == "EXPIRY_TIMESTAMP":
        if record["Channel"] != "TASK":
            return None
        expiry = record.get("SegmentAttributes", {}).get("connect:ContactExpiry")
        minutes = expiry["ValueMap"]["ExpiryDuration"]["ValueInteger"] if expiry else 7 * 24 * 60
        return record["InitiationTimestamp"] + timedelta(minutes=minutes)
    return timestamp(record, field)


@pytest.mark.parametrize("order", ["ASCENDING", "DESCENDING"])
@pytest.mark.parametrize("field", SORT_FIELDS)
def test_each_sort_field(connect: Any, field: str, order: str) -> None:
    found, total = search_all(connect, Sort={"FieldName": field, "Order": order})
    assert total == len(found) == len(DEMO.contacts)
    keyed = [(sort_value(DEMO.contacts[cid], field), cid) for cid in ids(found)]
    present = [item for item in keyed if item[0] is not None]
    assert all(value is None for value, _ in keyed[len(present) :])
    assert len(present) > 1
    expected = sorted(present, key=lambda item: item[1])
    expected.sort(key=lambda item: item[0], reverse=order == "DESCENDING")
    assert present == expected


def test_default_sort_is_newest_first_and_pages_are_stable(connect: Any) -> None:
    first = connect.search_contacts(InstanceId=DEMO_INSTANCE_ID, TimeRange=WINDOW)
    assert len(first["Contacts"]) == 100
    assert first["TotalCount"] == len(DEMO.contacts)
    paged, total = search_all(connect, page_size=7)
    assert total == len(DEMO.contacts)
    expected = sorted(DEMO.contacts.values(), key=lambda record: record["Id"])
    expected.sort(key=lambda record: record["InitiationTimestamp"], reverse=True)
    assert ids(paged) == ids(expected)
    assert ids(first["Contacts"]) == ids(paged)[:100]


def test_last_page_has_no_token(connect: Any) -> None:
    criteria = {"Channels": ["EMAIL"]}
    found, total = search_all(connect, SearchCriteria=criteria)
    last = connect.search_contacts(
        InstanceId=DEMO_INSTANCE_ID, TimeRange=WINDOW, SearchCriteria=criteria, MaxResults=total
    )
    assert len(last["Contacts"]) == total == len(found)
    assert "NextToken" not in last


def test_tokens_belong_to_their_query(connect: Any) -> None:
    params = {"InstanceId": DEMO_INSTANCE_ID, "TimeRange": WINDOW, "MaxResults": 5}
    token = connect.search_contacts(**params)["NextToken"]
    second = connect.search_contacts(**{**params, "MaxResults": 10}, NextToken=token)
    assert len(second["Contacts"]) == 10
    other = {**params, "SearchCriteria": {"Channels": ["VOICE"]}}
    assert error_of(connect.search_contacts, **other, NextToken=token) == (
        "InvalidParameterException",
        "The NextToken was issued for a different request.",
        400,
    )
    assert (
        error_of(connect.search_contacts, **params, NextToken="garbage")[0]
        == "InvalidParameterException"
    )


def test_summaries_hold_only_what_the_shape_has(connect: Any) -> None:
    found, _ = search_all(connect)
    shape = connect_model().shape_for("ContactSearchSummary")
    strict = Rules(enums=True, patterns=True)
    assert [p for summary in found for p in problems(shape, summary, "Summary", strict)] == []
    plain = (
        "Arn",
        "Id",
        "InitialContactId",
        "PreviousContactId",
        "InitiationMethod",
        "Channel",
        "Name",
    )
    stamps = ("InitiationTimestamp", "DisconnectTimestamp", "ScheduledTimestamp")
    for summary in found:
        record = DEMO.contacts[summary["Id"]]
        for member in (*plain, *stamps, "Tags", "RoutingCriteria", "GlobalResiliencyMetadata"):
            assert summary.get(member) == record.get(member)
        agent = record.get("AgentInfo", {})
        expected = {k: agent[k] for k in ("Id", "ConnectedToAgentTimestamp") if k in agent}
        assert summary.get("AgentInfo", {}) == expected
        assert summary.get("AiAgentInfo") == record.get("WisdomInfo", {}).get("AiAgents")
        segment = {
            key: {k: v for k, v in value.items() if k in ("ValueString", "ValueMap")}
            for key, value in record.get("SegmentAttributes", {}).items()
        }
        assert summary.get("SegmentAttributes", {}) == {k: v for k, v in segment.items() if v}
    assert any("AiAgentInfo" in summary for summary in found)
    assert any(
        set(summary["AgentInfo"]) == {"Id", "ConnectedToAgentTimestamp"}
        for summary in found
        if "AgentInfo" in summary
    )


def test_counted(control: httpx.Client, connect: Any) -> None:
    found, total = search_all(connect, page_size=50)
    assert len(found) == total > 200
    pages = -(-total // 50)
    assert control.get("/_emulator/stats").json()["calls"] == {"SearchContacts": pages}
