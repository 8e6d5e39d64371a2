#!/usr/bin/env python3
"""Adobe's database tutorial, walked by Adobe's own Python client (aepp,
PyPI) against the emulator, reading back everything it writes.

The steps follow help/sources/tutorials/api/collect/database-nosql.md,
explore/tabular.md, update-dataflows.md and monitor.md of the public
repository AdobeDocs/experience-platform.en, with the bodies as those pages
write them (strings for `startTime`, `interval` and `backfill`, a numeric
`mappingVersion`, the older mapping dialect).

aepp reaches a non-Adobe host with `environment="support"` and
`endpoint=URL`; its IMS host is fixed, so the token endpoint of its
configuration object is pointed at the emulator, which serves IMS too.

usage: aepp_tutorial.py URL ORG DATASET_NAME SCHEMA_ID TABLE
  (client `provision-local`; its secret from AEPP_CLIENT_SECRET, default the emulator's)
Prints one line `AEPP-TUTORIAL {"checks": [...]}`; exit 0 when every check passed.
"""

import json
import os
import sys
import time

import aepp
from aepp import catalog, dataprep, flowservice

POSTGRES = "74a1c565-4e59-48d7-9d67-7c03b8a13137"
DATA_LAKE = "c604ff05-7f1a-43c0-8e18-33bf874cb11c"
CRM_TO_AEP = "14518937-270c-4525-bdec-c2ba7cce3860"
XED = "application/vnd.adobe.xed-full+json;version=1"
SCOPES = "openid,AdobeID,read_organizations,additional_info.projectedProductContext,session"

checks = []


def check(name, ok, detail=""):
    checks.append({"name": name, "ok": bool(ok), "detail": "" if ok else str(detail)[:600]})
    return ok


def flow_code(answer):
    """The `FLOW-...` code of an error answer, or None."""
    if isinstance(answer, dict) and isinstance(answer.get("type"), str):
        return answer["type"].rsplit("/", 1)[-1]
    return None


def main(url, org, dataset_name, schema_id, table):
    config = aepp.configure(
        org_id=org,
        client_id="provision-local",
        secret=os.environ.get("AEPP_CLIENT_SECRET", "provision-local-secret"),
        scopes=SCOPES,
        sandbox="prod",
        environment="support",
        endpoint=url,
        connectInstance=True,
    )
    config.getConfigObject()["oauthTokenEndpointV2"] = url + "/ims/token/v3"
    fs = flowservice.FlowService(config=config)
    dp = dataprep.DataPrep(config=config)
    cat = catalog.Catalog(config=config)
    check("token from the emulator's IMS", fs.connector.token, "no token")

    # Base connection (the PostgreSQL source's own tutorial).
    base = fs.createConnection(data={
        "name": "orders-db",
        "description": "the orders database",
        "auth": {"specName": "Basic Authentication", "params": {
            "server": "db.example", "port": "5432", "database": "shop",
            "username": "reader", "password": "not-a-real-password", "sslMode": "Disable"}},
        "connectionSpec": {"id": POSTGRES, "version": "1.0"},
    })
    base_id = base.get("id")
    read = fs.getConnection(base_id)
    check("base connection reads back", read.get("name") == "orders-db"
          and read.get("auth", {}).get("params", {}).get("password") == "********", read)
    check("items carry createdBy, updatedBy, sandboxId",
          all(read.get(k) for k in ("createdBy", "updatedBy", "sandboxId")), read)
    listed = fs.getConnections(limit=5, property="name==orders-db")
    check("connections listed by name (count=False sent)", [c.get("id") for c in listed] == [base_id], listed)
    renamed = fs.patchConnection(base_id, [{"op": "Replace", "path": "/description", "value": "orders"}])
    check("PATCH with `Replace` (aepp's case)", renamed.get("id") == base_id, renamed)

    # Explore (explore/tabular.md).
    root = fs.getResource(fs.endpoint + f"/connections/{base_id}/explore", params={"objectType": "root"})
    paths = [t.get("path") for t in root] if isinstance(root, list) else []
    check("explore root lists the table", table in paths, root)
    shape = fs.getResource(fs.endpoint + f"/connections/{base_id}/explore",
                           params={"objectType": "table", "object": table})
    columns = shape.get("schema", {}).get("columns", []) if isinstance(shape, dict) else []
    check("explore table gives typed columns", columns and all("xdm" in c for c in columns), shape)
    tested = fs.connectionTest(base_id)
    check("connection test answers", isinstance(tested, dict) and "result" in tested, tested)

    # Source connection (collect/database-nosql.md).
    source_body = {
        "name": "orders source", "baseConnectionId": base_id, "description": "orders table",
        "data": {"format": "tabular"},
        "params": {"tableName": table, "columns": columns},
        "connectionSpec": {"id": POSTGRES, "version": "1.0"},
    }
    source = fs.createSourceConnection(data=source_body)
    source_id = source.get("id")
    read = fs.getSourceConnection(source_id)
    check("source connection reads back", read.get("baseConnectionId") == base_id
          and read.get("params") == source_body["params"] and read.get("data") == {"format": "tabular"}, read)
    wrong = fs.createSourceConnection(data={**source_body, "baseConnectionId": "no-such-connection"})
    check("a source connection needs an existing base connection", flow_code(wrong) == "FLOW-1400-400", wrong)

    # Dataset lookup (Catalog).
    found = cat.getDataSets(name=dataset_name, limit=10)
    ids = list(found.keys()) if isinstance(found, dict) else []
    check("dataset found by name", len(ids) == 1, found)
    dataset_id = ids[0] if ids else ""
    one = cat.getDataSet(dataset_id)
    check("dataset reads back with its schema", one.get(dataset_id, {}).get("schemaRef", {}).get("id") == schema_id, one)

    # Target connection.
    target_body = {
        "name": "orders target", "description": "orders dataset",
        "data": {"schema": {"id": schema_id, "version": XED}},
        "params": {"dataSetId": dataset_id},
        "connectionSpec": {"id": DATA_LAKE, "version": "1.0"},
    }
    target = fs.createTargetConnection(data=target_body)
    target_id = target.get("id")
    read = fs.getTargetConnection(target_id)
    check("target connection reads back", read.get("params") == {"dataSetId": dataset_id}
          and read.get("data") == target_body["data"], read)
    wrong = fs.createTargetConnection(data={**target_body, "params": {"dataSetId": "000000000000000000000000"}})
    check("a target connection needs an existing dataset", flow_code(wrong) == "FLOW-1400-400", wrong)

    # Mapping set: the tutorial's older dialect, then the current one by name.
    mappings = [{"destinationXdmPath": "_id", "sourceAttribute": columns[0]["name"] if columns else "id",
                 "identity": False, "identityGroup": None, "namespaceCode": None, "version": 0}]
    created = dp.createMappingSet(mappingSet={"version": 0, "xdmSchema": schema_id, "xdmVersion": "1.0",
                                              "id": None, "mappings": mappings})
    mapping_id = created.get("id")
    check("mapping set created with version 0", mapping_id and created.get("version") == 0, created)
    read = dp.getMappingSet(mapping_id)
    check("mapping set reads back", read.get("mappings") == mappings and read.get("xdmSchema") == schema_id, read)
    named = dp.createMappingSet(mappingSet={
        "name": "orders-mapping",
        "outputSchema": {"schemaRef": {"id": schema_id, "contentType": XED}},
        "mappings": [{"sourceType": "ATTRIBUTE", "source": "order_id", "destination": "_id"}]})
    by_name = dp.getMappingSets(name="orders-mapping", limit=10)
    check("mapping sets listed by name", [m.get("id") for m in by_name] == [named.get("id")], by_name)

    # Flow spec.
    spec_id = fs.getFlowSpecIdFromNames("CRMToAEP")
    check("flow spec found by name", spec_id == CRM_TO_AEP, spec_id)
    quoted = fs.getFlowSpecs('name=="CRMToAEP"')
    check("flow spec found by the tutorial's quoted filter",
          [s.get("id") for s in quoted] == [CRM_TO_AEP] and POSTGRES in quoted[0].get("sourceConnectionSpecIds", [])
          and quoted[0].get("scheduleSpec", {}).get("type") == "Periodic", quoted)

    # Flow, with the tutorial's string forms.
    flow_body = {
        "name": "orders flow", "description": "collecting " + table,
        "flowSpec": {"id": spec_id, "version": "1.0"},
        "sourceConnectionIds": [source_id], "targetConnectionIds": [target_id],
        "transformations": [
            {"name": "Copy", "params": {"deltaColumn": {"name": "updated_at", "dateFormat": "YYYY-MM-DD", "timezone": "UTC"}}},
            {"name": "Mapping", "params": {"mappingId": mapping_id, "mappingVersion": 0}},
        ],
        "scheduleParams": {"startTime": "1612310466", "frequency": "minute", "interval": "15", "backfill": "true"},
    }
    too_often = fs.createFlow(spec_id, obj={**flow_body, "scheduleParams": {**flow_body["scheduleParams"], "interval": "5"}})
    check("a minute interval under 15 is refused", flow_code(too_often) == "FLOW-1400-400", too_often)
    flow = fs.createFlow(spec_id, obj=flow_body)
    flow_id = flow.get("id")
    read = fs.getFlow(flow_id)
    check("flow reads back", read.get("scheduleParams") == flow_body["scheduleParams"]
          and read.get("transformations") == flow_body["transformations"] and read.get("state") == "enabled", read)
    listed = fs.getFlows(prop=f"id=={flow_id}")
    check("flows listed by id", [f.get("id") for f in listed] == [flow_id], listed)
    second = fs.createFlow(spec_id, obj={**flow_body, "name": "orders flow 2"}).get("id")
    paged = fs.getFlows(limit=1, n_results=10)
    check("flows paged one at a time by aepp's continuation handling",
          sorted(f.get("id") for f in paged) == sorted([flow_id, second]), paged)
    check("delete the second flow", fs.deleteFlow(second) == 204)

    # Update (update-dataflows.md).
    etag = read.get("etag")
    updated = fs.updateFlow(flow_id, etag, [
        {"op": "replace", "path": "/scheduleParams/frequency", "value": "hour"},
        {"op": "replace", "path": "/name", "value": "orders flow, hourly"},
        {"op": "replace", "path": "/description", "value": "hourly"}])
    check("flow PATCH answers a new etag", updated.get("etag") not in (None, etag), updated)
    etag = updated.get("etag")
    past = fs.updateFlow(flow_id, etag, [{"op": "replace", "path": "/scheduleParams/startTime", "value": "1700000000"}])
    check("a past startTime cannot change", flow_code(past) == "FLOW-1400-400", past)
    bumped = dp.updateMappingSet(mapping_id, mappings)
    check("mapping set PUT raises the version", bumped.get("version") == 1, bumped)
    new_mapping = {"name": "Mapping", "params": {"mappingId": mapping_id, "mappingVersion": 1}}
    at_zero = fs.updateFlow(flow_id, etag, [{"op": "replace", "path": "/transformations/0", "value": new_mapping}])
    check("a replace that renames transformation 0 (Copy) is refused", flow_code(at_zero) == "FLOW-1400-400", at_zero)
    at_one = fs.updateFlow(flow_id, etag, [{"op": "replace", "path": "/transformations/1", "value": new_mapping}])
    check("the Mapping transformation is replaced at its own index", at_one.get("id") == flow_id, at_one)
    read = fs.getFlow(flow_id)
    check("the update reads back", read.get("name") == "orders flow, hourly"
          and read.get("scheduleParams", {}).get("frequency") == "hour"
          and read.get("transformations", [{}, {}])[1] == new_mapping, read)
    stale = fs.updateFlow(flow_id, etag, [{"op": "replace", "path": "/description", "value": "x"}])
    check("a stale etag is refused", flow_code(stale) == "FLOW-1404-412", stale)

    # Disable, enable, runs (monitor.md).
    disabled = fs.postFlowAction(flow_id, "DISABLE")
    check("DISABLE answers a new etag", disabled.get("etag") and disabled.get("etag") != read.get("etag"), disabled)
    check("the flow reads back disabled", fs.getFlow(flow_id).get("state") == "disabled")
    runs = fs.getRuns(prop=f"flowId=={flow_id}")
    check("a disabled flow has no runs", runs == [], runs)
    enabled = fs.postFlowAction(flow_id, "ENABLE")
    check("ENABLE answers a new etag", enabled.get("etag") not in (None, disabled.get("etag")), enabled)
    runs = fs.getRuns(prop=f"flowId=={flow_id}")
    run = runs[0] if len(runs) == 1 else {}
    summary = run.get("metrics", {}).get("recordSummary", {})
    status = run.get("metrics", {}).get("statusSummary", {})
    check("an enabled flow gets a run shaped like the monitoring tutorial",
          run.get("flowId") == flow_id and "inputRecordCount" in summary and "status" in status, runs)
    again = fs.getRun(run.get("id", "none"))
    check("the run reads back by id", isinstance(again, list) and again and again[0].get("id") == run.get("id"), again)
    other = fs.postFlowAction(flow_id, "PUBLISH")
    check("another op on a flow that is not a draft is refused", flow_code(other) == "FLOW-1400-400", other)

    # Deletes, in order.
    refused = fs.deleteConnection(base_id)
    check("a base connection used by a flow cannot be deleted", flow_code(refused) == "FLOW-1418-400", refused)
    check("delete the flow", fs.deleteFlow(flow_id) == 204)
    check("delete the source connection", fs.deleteSourceConnection(source_id) == 204)
    check("delete the target connection", fs.deleteTargetConnection(target_id) == 204)
    check("delete the base connection", fs.deleteConnection(base_id) == 204)
    gone = fs.connector.getData(fs.endpoint + f"/flows/{flow_id}")
    check("the deleted flow is gone", flow_code(gone) == "FLOW-1439-404", gone)


if __name__ == "__main__":
    if len(sys.argv) != 6:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    started = time.time()
    try:
        main(*sys.argv[1:])
    except Exception as err:  # a crash is a failed check, with its reason
        check("the tutorial ran to the end", False, f"{type(err).__name__}: {err}")
    print("AEPP-TUTORIAL " + json.dumps({"checks": checks, "seconds": round(time.time() - started, 1)}))
    sys.exit(0 if checks and all(c["ok"] for c in checks) else 1)
