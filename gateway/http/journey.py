"""GET /journey: a page that draws a contact's tree on a timeline.

The page is static (its script and styles are the gateway's own assets, under
`gateway/http/static/journey/`); the script reads `contactId` and `instanceId` from the page's
URL and asks `/graphql` for the tree with the caller's credentials, so the page holds no
data and needs no authentication itself: the API decides what each caller may see.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.http.assets import Assets, page_response

__all__ = ["journey_route"]

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


def journey_route(assets: Assets) -> Route:
    async def journey(request: Request) -> Response:
        css = assets.url("journey", "journey.css")
        js = assets.url("journey", "journey.js")
        return page_response(_PAGE.format(css=css, js=js))

    return Route("/journey", journey, methods=["GET", "HEAD"])
