"""GET /journey: a page that draws a contact's tree on a timeline.

The page is static (its script and styles are the gateway's own assets, under
`gateway/http/static/journey/`); the script reads `contactId` and `instanceId` from the page's
URL and asks `/graphql` for the tree with the caller's credentials, so the page holds no
data and needs no authentication itself: the API decides what each caller may see. For the
selected contact it shows its transcript (collapsed), its evaluations' scores, and, for a
caller with `contacts:recordings` who asks, a player of its recording: the one origin the
page's policy adds is where recording URLs point (`media-src`, see `media_sources`).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.core.settings import Settings
from gateway.http.assets import CONTENT_SECURITY_POLICY, Assets, page_response

__all__ = ["journey_route", "media_sources"]

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Contact journey</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{css}">
<script src="{js}" defer></script>
</head>
<body>
<header>
  <h1>Contact journey</h1>
  <form id="lookup">
    <label for="contact-id">Contact ID</label>
    <input id="contact-id" type="text" name="contactId" autocomplete="off" spellcheck="false">
    <label for="instance-id">Instance</label>
    <input id="instance-id" type="text" name="instanceId" placeholder="default"
      autocomplete="off" spellcheck="false">
    <button type="submit">Show</button>
  </form>
  <details id="credentials">
    <summary>Credentials</summary>
    <form id="credentials-form" autocomplete="off">
      <select id="secret-kind" aria-label="Kind of credential">
        <option value="api-key">API key</option>
        <option value="bearer">Bearer token</option>
      </select>
      <input id="secret" type="password" aria-label="API key or token">
      <button type="submit">Use</button>
    </form>
    <p id="credentials-state">No credentials: the demo needs none.</p>
  </details>
  <a href="graphql">GraphiQL</a>
</header>
<p id="status" hidden></p>
<main>
  <section>
    <p id="summary"></p>
    <figure id="timeline"></figure>
    <div class="legend">
      <span class="voice">voice</span><span class="chat">chat</span>
      <span class="task">task</span><span class="email">email</span>
      <span class="asked">the contact asked for</span>
      <span class="previous">previous contact</span><span class="related">related contact</span>
    </div>
  </section>
  <aside id="details"><p>Select a contact to see its details.</p></aside>
</main>
</body>
</html>
"""


def media_sources(settings: Settings) -> tuple[str, ...]:
    """Where the recording URLs the gateway presigns point: the origin of each region's S3
    endpoint when one is configured (the emulator's, in the demo), else AWS's S3 hosts of
    the instances' partitions (virtual-hosted or path-style, any region)."""
    instances = settings.connect_instances
    regions = {instance.region for instance in instances} or {settings.aws_region}
    sources: list[str] = []
    for region in sorted(regions, key=str):
        endpoint = settings.s3_endpoint(region)
        if endpoint is not None:
            parts = urlsplit(endpoint)
            sources.append(f"{parts.scheme}://{parts.netloc}")
    if len(sources) < len(regions):  # some region goes to AWS's own endpoints
        partitions = {instance.partition for instance in instances} or {"aws"}
        sources += [
            "https://*.amazonaws.com.cn" if p == "aws-cn" else "https://*.amazonaws.com"
            for p in sorted(partitions)
        ]
    return tuple(dict.fromkeys(sources))


def journey_route(assets: Assets, settings: Settings) -> Route:
    policy = f"{CONTENT_SECURITY_POLICY}; media-src 'self' {' '.join(media_sources(settings))}"

    async def journey(request: Request) -> Response:
        css = assets.url("journey", "journey.css")
        js = assets.url("journey", "journey.js")
        return page_response(_PAGE.format(css=css, js=js), policy=policy)

    return Route("/journey", journey, methods=["GET", "HEAD"])
