// Building the shell's DOM. Nothing here parses HTML: text, app text above
// all (names, notification titles and bodies), only ever becomes a Text
// node or an attribute value.

const SVG = "http://www.w3.org/2000/svg";

// h("button", {class: "x", "aria-label": "Close", onclick: fn}, child, "text")
export function h(tag, attrs = {}, ...children) {
	const el = document.createElement(tag);
	for (const [key, value] of Object.entries(attrs)) {
		if (value === undefined || value === null || value === false) {
			continue;
		}
		if (key.startsWith("on") && typeof value === "function") {
			el.addEventListener(key.slice(2), value);
		} else if (key === "class") {
			el.className = value;
		} else {
			el.setAttribute(key, value === true ? "" : String(value));
		}
	}
	append(el, children);
	return el;
}

export function append(el, children) {
	for (const child of children.flat()) {
		if (child === undefined || child === null || child === false) {
			continue;
		}
		el.append(typeof child === "string" ? document.createTextNode(child) : child);
	}
	return el;
}

export function clear(el) {
	while (el.firstChild) {
		el.firstChild.remove();
	}
}

// 24×24 stroked outlines.
const ICONS = {
	apps: ["M4 4h6v6H4z", "M14 4h6v6h-6z", "M4 14h6v6H4z", "M14 14h6v6h-6z"],
	bell: ["M6 16V11a6 6 0 0 1 12 0v5l2 2H4z", "M10 20a2 2 0 0 0 4 0"],
	lock: ["M6 11h12v9H6z", "M8 11V8a4 4 0 0 1 8 0v3"],
	moon: ["M20 14.5A8 8 0 0 1 9.5 4a8 8 0 1 0 10.5 10.5z"],
	close: ["M6 6l12 12", "M18 6L6 18"],
	more: ["M5 12h.01", "M12 12h.01", "M19 12h.01"],
	search: ["M10.5 4a6.5 6.5 0 1 0 0 13a6.5 6.5 0 1 0 0-13z", "M15.5 15.5L20 20"],
	clear: ["M4 7h16", "M9 7V4h6v3", "M6 7l1 13h10l1-13"],
};

export function icon(name, label) {
	const svg = document.createElementNS(SVG, "svg");
	svg.setAttribute("viewBox", "0 0 24 24");
	svg.setAttribute("class", "icon");
	svg.setAttribute("fill", "none");
	svg.setAttribute("stroke", "currentColor");
	svg.setAttribute("stroke-width", "2");
	svg.setAttribute("stroke-linecap", "round");
	svg.setAttribute("stroke-linejoin", "round");
	if (label) {
		svg.setAttribute("role", "img");
		svg.setAttribute("aria-label", label);
	} else {
		svg.setAttribute("aria-hidden", "true");
	}
	for (const d of ICONS[name] || []) {
		const path = document.createElementNS(SVG, "path");
		path.setAttribute("d", d);
		svg.append(path);
	}
	return svg;
}

// Up to two letters: the first of the first two words of the name.
export function initials(name) {
	const words = String(name).split(/[\s._-]+/u).filter((w) => w.length > 0);
	const letters = words.slice(0, 2).map((w) => [...w][0].toUpperCase());
	return letters.join("") || "?";
}

// A hue from the app id, dark enough for white text on it (WCAG AA).
export function idColour(id) {
	let hash = 2166136261;
	for (const c of String(id)) {
		hash = Math.imul(hash ^ c.codePointAt(0), 16777619) >>> 0;
	}
	return `hsl(${hash % 360} 50% 30%)`;
}

// 24-hour HH:MM, without Intl (an engine may be built without it).
export function hhmm(date) {
	const two = (n) => String(n).padStart(2, "0");
	return `${two(date.getHours())}:${two(date.getMinutes())}`;
}

export const ICON_BASE = "weft-system://app-icon/";

// The package's icon (weft-shell serves its manifest's `icon` entry), or,
// when it has none or it does not load, the app's initials on its colour.
// Decorative: the app's name is always shown or labelled beside it.
export function appIcon(appId, name, size) {
	const box = h("span", { class: "app-icon", "aria-hidden": "true" });
	box.style.setProperty("--icon-size", size + "px");
	const fallback = () => {
		clear(box);
		box.classList.add("fallback");
		box.style.background = idColour(appId);
		box.append(document.createTextNode(initials(name || appId)));
	};
	const img = h("img", { alt: "", width: size, height: size, draggable: "false" });
	img.addEventListener("error", fallback, { once: true });
	img.src = ICON_BASE + encodeURIComponent(appId);
	box.append(img);
	return box;
}
